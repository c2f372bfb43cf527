# ruff: noqa: I001  (the imports are the book's, line for line)
"""Chapter 3.3, concise implementation of linear regression, as the book writes it.

Only the imports differ from the book. Stated result: the learned weight and bias are
within 0.01 of the true ones and the training loss is below 1e-3 (checked at the end).
It takes about a second, so it has no quick mode.
"""

from ndgrad import autograd, gluon, np, npx
from ndgrad import d2l

npx.set_np()
np.random.seed(0)  # (not in the book) the same run each time

# 3.3.1 Generating the dataset
true_w = np.array([2, -3.4])
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)

# 3.3.2 Reading the dataset
batch_size = 10
data_iter = d2l.load_array((features, labels), batch_size)
print(next(iter(data_iter)))

# 3.3.3 Defining the model
from ndgrad.gluon import nn  # noqa: E402  (the book imports where it first needs a name)

net = nn.Sequential()
net.add(nn.Dense(1))

# 3.3.4 Initializing model parameters
from ndgrad import init  # noqa: E402

net.initialize(init.Normal(sigma=0.01))

# 3.3.5 Defining the loss function
loss = gluon.loss.L2Loss()

# 3.3.6 Defining the optimization algorithm
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.03})

# 3.3.7 Training
num_epochs = 3
for epoch in range(num_epochs):
    for X, y in data_iter:
        with autograd.record():
            l = loss(net(X), y)  # noqa: E741
        l.backward()
        trainer.step(batch_size)
    l = loss(net(features), labels)  # noqa: E741
    print(f'epoch {epoch + 1}, loss {l.mean().asnumpy():f}')

w = net[0].weight.data()
print(f'error in estimating w: {true_w - d2l.reshape(w, true_w.shape)}')
b = net[0].bias.data()
print(f'error in estimating b: {true_b - b}')

assert float(np.abs(true_w - d2l.reshape(w, true_w.shape)).max()) < 0.01
assert abs(float(true_b - b)) < 0.01
assert float(l.mean()) < 1e-3
print('stated result reached: |error| < 0.01, loss < 1e-3')
