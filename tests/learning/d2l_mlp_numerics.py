# Dive into Deep Learning (PyTorch): 5.1 activation functions and their gradients, 5.4 numerical
# stability, 5.2 the MLP from scratch, 3.6 polynomial regression (generalization), on generated data
import math
import numpy as np
import torch
from torch import nn
torch.manual_seed(0)
x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.relu(x)
y.backward(torch.ones_like(x), retain_graph=True)
print(x.grad[::20])
y = torch.sigmoid(x)
x.grad.data.zero_()
y.backward(torch.ones_like(x),retain_graph=True)
print(x.grad[::20])
y = torch.tanh(x)
x.grad.data.zero_()
y.backward(torch.ones_like(x),retain_graph=True)
print(x.grad[::20])
M = torch.normal(0, 1, size=(4, 4))
print('a single matrix \n',M)
for i in range(100):
    M = M @ torch.normal(0, 1, size=(4, 4))
print('after multiplying 100 matrices\n', M)
def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)
print(relu(torch.tensor([-1., 2.])))
class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens, lr, sigma=0.01):
        super().__init__()
        self.lr = lr
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))
    def forward(self, X):
        X = X.reshape((-1, self.W1.shape[0]))
        H = relu(torch.matmul(X, self.W1) + self.b1)
        return torch.matmul(H, self.W2) + self.b2
m = MLPScratch(16, 3, 8, 0.1)
print(m(torch.ones(2, 4, 4)), [n for n, _ in m.named_parameters()])
max_degree = 20
n_train, n_test = 100, 100
true_w = np.zeros(max_degree)
true_w[0:4] = np.array([5, 1.2, -3.4, 5.6])
features = np.random.RandomState(0).normal(size=(n_train + n_test, 1))
np.random.RandomState(1).shuffle(features)
poly_features = np.power(features, np.arange(max_degree).reshape(1, -1))
for i in range(max_degree):
    poly_features[:, i] /= math.gamma(i + 1)
labels = np.dot(poly_features, true_w)
true_w, features, poly_features, labels = [torch.tensor(x, dtype=torch.float32) for x in [true_w, features, poly_features, labels]]
print(features[:2], poly_features[:2, :], labels[:2])
net = nn.Sequential(nn.Linear(4, 1, bias=False))
loss = nn.MSELoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=0.01)
for epoch in range(50):
    for i in range(0, 100, 10):
        X, y = poly_features[i:i+10, :4], labels[i:i+10]
        l = loss(net(X), y.reshape(-1, 1))
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
print('weight:', net[0].weight.data.numpy())
print(torch.max(torch.tensor([[1, 5], [7, 2]]), dim=1), torch.max(torch.tensor([1., 5.]), torch.tensor(3.)))
