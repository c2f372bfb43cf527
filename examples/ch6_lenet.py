# ruff: noqa: I001  (the imports are the book's, line for line)
"""Chapter 6, convolutional neural networks: learning a kernel (6.2) and LeNet (6.6), as
the book writes them.

Only the imports differ from the book, and the data: scikit-learn's handwritten digits,
scaled to 28x28 (``d2l.load_data_digits``, offline), instead of Fashion-MNIST, in batches
of 32 (the book: 256; the digits are 1,438 training images, not 60,000). With so few
steps the sigmoid LeNet stays at chance, in MXNet 1.9.1 as here, so the network trained is
the variant of the section's first exercise: ReLU activations and max-pooling, lr 0.1.
Stated results (checked at the end): the learned 1x2 kernel is within 0.1 of [1, -1], and
LeNet reaches a test accuracy of at least 0.90 (0.80 in quick mode). ``--quick`` (or
NDGRAD_EXAMPLES_QUICK=1) trains LeNet 4 epochs instead of 10.
"""

import os
import sys

from ndgrad import autograd, np, npx
from ndgrad import d2l
from ndgrad.gluon import nn

QUICK = '--quick' in sys.argv or os.environ.get('NDGRAD_EXAMPLES_QUICK') == '1'
TARGET = 0.80 if QUICK else 0.90  # the stated test accuracy
npx.set_np()
np.random.seed(0)  # (not in the book) the same run each time

# 6.2 Convolutions for images: object edge detection and learning a kernel
X = np.ones((6, 8))
X[:, 2:6] = 0
K = np.array([[1.0, -1.0]])
Y = d2l.corr2d(X, K)
print(Y)

# Construct a two-dimensional convolutional layer with 1 output channel and a
# kernel of shape (1, 2). For the sake of simplicity, we ignore the bias here
conv2d = nn.Conv2D(1, kernel_size=(1, 2), use_bias=False)
conv2d.initialize()

# The two-dimensional convolutional layer uses four-dimensional input and
# output in the format of (example, channel, height, width), where the batch
# size (number of examples in the batch) and the number of channels are both 1
X = X.reshape(1, 1, 6, 8)
Y = Y.reshape(1, 1, 6, 7)
lr = 3e-2  # Learning rate

for i in range(10):
    with autograd.record():
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2  # noqa: E741
    l.backward()
    # Update the kernel
    conv2d.weight.data()[:] -= lr * conv2d.weight.grad()
    if (i + 1) % 2 == 0:
        print(f'epoch {i + 1}, loss {float(l.sum()):.3f}')

kernel = conv2d.weight.data().reshape((1, 2))
print(kernel)

# 6.6 LeNet
net = nn.Sequential()
net.add(
    nn.Conv2D(channels=6, kernel_size=5, padding=2, activation='sigmoid'),
    nn.AvgPool2D(pool_size=2, strides=2),
    nn.Conv2D(channels=16, kernel_size=5, activation='sigmoid'),
    nn.AvgPool2D(pool_size=2, strides=2),
    # `Dense` will transform an input of the shape (batch size, number of
    # channels, height, width) into an input of the shape (batch size,
    # number of channels * height * width) automatically by default
    nn.Dense(120, activation='sigmoid'),
    nn.Dense(84, activation='sigmoid'),
    nn.Dense(10),
)

X = np.random.uniform(size=(1, 1, 28, 28))
net.initialize()
for layer in net:
    X = layer(X)
    print(layer.name, 'output shape:\t', X.shape)

# Exercise 6.6.1: replace the sigmoid with ReLU and average pooling with max-pooling
net = nn.Sequential()
net.add(
    nn.Conv2D(channels=6, kernel_size=5, padding=2, activation='relu'),
    nn.MaxPool2D(pool_size=2, strides=2),
    nn.Conv2D(channels=16, kernel_size=5, activation='relu'),
    nn.MaxPool2D(pool_size=2, strides=2),
    nn.Dense(120, activation='relu'),
    nn.Dense(84, activation='relu'),
    nn.Dense(10),
)

batch_size = 32
train_iter, test_iter = d2l.load_data_digits(batch_size=batch_size)

lr, num_epochs = 0.1, (4 if QUICK else 10)
d2l.train_ch6(net, train_iter, test_iter, num_epochs, lr, d2l.try_gpu())

test_acc = d2l.evaluate_accuracy_gpu(net, test_iter)
assert float(np.abs(kernel - np.array([[1.0, -1.0]])).max()) < 0.1, kernel
assert test_acc >= TARGET, test_acc
print(
    f'stated results reached: kernel within 0.1 of [1, -1]; LeNet test accuracy '
    f'{test_acc:.3f} >= {TARGET}'
)
