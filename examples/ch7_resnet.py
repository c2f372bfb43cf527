# ruff: noqa: I001  (the imports are the book's, line for line)
"""Chapter 7.6, residual networks (ResNet), as the book writes them, made small.

Only the imports differ from the book, and the sizes: the book trains ResNet-18 (64 to 512
channels) on Fashion-MNIST resized to 96x96; this trains the same architecture with 8 to
64 channels on scikit-learn's handwritten digits at 28x28 (``d2l.load_data_digits``,
offline), in batches of 32, so that it runs in seconds on a CPU. Stated result (checked at
the end): a test accuracy of at least 0.90 (0.80 in quick mode). ``--quick`` (or
NDGRAD_EXAMPLES_QUICK=1) trains 3 epochs instead of 8.
"""

import os
import sys

from ndgrad import np, npx
from ndgrad import d2l
from ndgrad.gluon import nn

QUICK = '--quick' in sys.argv or os.environ.get('NDGRAD_EXAMPLES_QUICK') == '1'
TARGET = 0.80 if QUICK else 0.90  # the stated test accuracy
npx.set_np()
np.random.seed(0)  # (not in the book) the same run each time


# 7.6.2 Residual blocks
class Residual(nn.Block):  # @save
    """The Residual block of ResNet."""

    def __init__(self, num_channels, use_1x1conv=False, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = nn.Conv2D(num_channels, kernel_size=3, padding=1, strides=strides)
        self.conv2 = nn.Conv2D(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2D(num_channels, kernel_size=1, strides=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm()
        self.bn2 = nn.BatchNorm()

    def forward(self, X):
        Y = npx.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        return npx.relu(Y + X)


blk = Residual(3)
blk.initialize()
X = np.random.uniform(size=(4, 3, 6, 6))
print(blk(X).shape)
assert blk(X).shape == (4, 3, 6, 6)

blk = Residual(6, use_1x1conv=True, strides=2)
blk.initialize()
print(blk(X).shape)
assert blk(X).shape == (4, 6, 3, 3)

# 7.6.3 ResNet model (channels 8-64 instead of 64-512)
net = nn.Sequential()
net.add(
    nn.Conv2D(8, kernel_size=7, strides=2, padding=3),
    nn.BatchNorm(),
    nn.Activation('relu'),
    nn.MaxPool2D(pool_size=3, strides=2, padding=1),
)


def resnet_block(num_channels, num_residuals, first_block=False):
    blk = nn.Sequential()
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.add(Residual(num_channels, use_1x1conv=True, strides=2))
        else:
            blk.add(Residual(num_channels))
    return blk


net.add(
    resnet_block(8, 2, first_block=True),
    resnet_block(16, 2),
    resnet_block(32, 2),
    resnet_block(64, 2),
)
net.add(nn.GlobalAvgPool2D(), nn.Dense(10))

X = np.random.uniform(size=(1, 1, 28, 28))
net.initialize()
for layer in net:
    X = layer(X)
    print(layer.name, 'output shape:\t', X.shape)

# 7.6.4 Training
lr, num_epochs, batch_size = 0.05, (3 if QUICK else 8), 32
train_iter, test_iter = d2l.load_data_digits(batch_size)
d2l.train_ch6(net, train_iter, test_iter, num_epochs, lr, d2l.try_gpu())

test_acc = d2l.evaluate_accuracy_gpu(net, test_iter)
assert test_acc >= TARGET, test_acc
print(f'stated result reached: test accuracy {test_acc:.3f} >= {TARGET}')
