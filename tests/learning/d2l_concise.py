# Dive into Deep Learning, 3.5 Concise Implementation of Linear Regression, 3.7 weight decay
# (concise) and 4.5 Concise Implementation of Softmax Regression (PyTorch), on synthetic data
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils import data

torch.manual_seed(0)


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


true_w = torch.tensor([2, -3.4])
true_b = 4.2
X = torch.randn(500, len(true_w))
noise = torch.randn(500, 1) * 0.01
y = torch.matmul(X, true_w.reshape((-1, 1))) + true_b + noise
data_iter = load_array((X, y), 10)
print(next(iter(data_iter))[0].shape, len(data_iter))


class LinearRegression(nn.Module):
    """The linear regression model implemented with high-level APIs."""
    def __init__(self, lr):
        super().__init__()
        self.lr = lr
        self.net = nn.LazyLinear(1)
        self.net.weight.data.normal_(0, 0.01)
        self.net.bias.data.fill_(0)

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        fn = nn.MSELoss()
        return fn(y_hat, y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), self.lr)

    def get_w_b(self):
        return (self.net.weight.data, self.net.bias.data)


model = LinearRegression(lr=0.03)
print(model)
model(X[:2])
print(model)
optim = model.configure_optimizers()
print(optim)
for epoch in range(3):
    for Xb, yb in data_iter:
        l = model.loss(model(Xb), yb)
        optim.zero_grad()
        l.backward()
        optim.step()
    with torch.no_grad():
        print(f'epoch {epoch + 1}, loss {model.loss(model(X), y):f}')
w, b = model.get_w_b()
print(f'error in estimating w: {true_w - w.reshape(true_w.shape)}')
print(f'error in estimating b: {true_b - b}')

# weight decay, concise: the decay goes on the weights only
n_train, num_inputs, batch_size = 20, 200, 5
true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05
train_X = torch.randn(n_train, num_inputs)
train_y = torch.matmul(train_X, true_w) + true_b + torch.randn(n_train, 1) * 0.01
train_iter = load_array((train_X, train_y), batch_size)


def train_concise(wd):
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    for param in net.parameters():
        param.data.normal_()
    loss = nn.MSELoss(reduction='none')
    num_epochs, lr = 20, 0.003
    trainer = torch.optim.SGD([
        {"params": net[0].weight, 'weight_decay': wd},
        {"params": net[0].bias}], lr=lr)
    for epoch in range(num_epochs):
        for X, y in train_iter:
            trainer.zero_grad()
            l = loss(net(X), y)
            l.mean().backward()
            trainer.step()
        if (epoch + 1) % 5 == 0:
            print(epoch + 1, loss(net(train_X), train_y).mean().item())
    print('L2 norm of w:', net[0].weight.norm().item())
    print([g['weight_decay'] for g in trainer.param_groups])


train_concise(0)
train_concise(3)

# softmax regression, concise
num_outputs = 10
centers = torch.randn(num_outputs, 1, 8, 8)
labels = torch.randint(0, num_outputs, (512,))
images = centers[labels] + torch.randn(512, 1, 8, 8)
train_iter = load_array((images, labels), 64)
net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=0.1)


def accuracy(y_hat, y):
    y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


for epoch in range(3):
    net.train()
    metric = [0.0, 0.0, 0]
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        metric[0] += float(l.sum())
        metric[1] += accuracy(y_hat, y)
        metric[2] += y.numel()
    print(f'epoch {epoch + 1}, loss {metric[0] / metric[2]:.4f}, acc {metric[1] / metric[2]:.4f}')


class SoftmaxRegression(nn.Module):
    def __init__(self, num_outputs, lr):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_outputs))

    def forward(self, X):
        return self.net(X)

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        return F.cross_entropy(Y_hat, Y, reduction='mean' if averaged else 'none')


model = SoftmaxRegression(num_outputs=10, lr=0.1)
optim = torch.optim.SGD(model.parameters(), lr=model.lr)
for epoch in range(3):
    for X, y in train_iter:
        l = model.loss(model(X), y)
        optim.zero_grad()
        l.backward()
        optim.step()
    with torch.no_grad():
        Y_hat = model(images)
        print(epoch + 1, model.loss(Y_hat, labels).item(), model.loss(Y_hat, labels, False)[:3],
              accuracy(Y_hat, labels) / len(labels))
print(model)
print([(k, v.shape) for k, v in model.state_dict().items()])
