# Dive into Deep Learning, 6.4 Lazy Initialization, 6.5 Custom Layers, 6.6 File I/O (PyTorch)
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
print(net[0].weight)
print(net)
X = torch.rand(2, 20)
net(X)
print(net[0].weight.shape)
print(net)


def apply_init(module, inputs, init=None):
    module.forward(*inputs)
    if init is not None:
        module.apply(init)


def init_xavier(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)
        nn.init.constant_(m.bias, 0.01)


net = nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(3))
apply_init(net, [torch.rand(4, 5)], init_xavier)
print(net[0].weight.norm(), net[2].weight.norm(), net[0].bias[:3])


# 6.5 Custom Layers
class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


layer = CenteredLayer()
print(layer(torch.tensor([1.0, 2, 3, 4, 5])))
net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())
Y = net(torch.rand(4, 8))
print(Y.mean().abs() < 1e-6)


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


linear = MyLinear(5, 3)
print(linear.weight)
print(linear(torch.rand(2, 5)))
net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.rand(2, 64)))
print(net)
print(list(net.state_dict().keys()))

# 6.6 File I/O
x = torch.arange(4)
torch.save(x, 'x-file')
x2 = torch.load('x-file')
print(x2)
y = torch.zeros(4)
torch.save([x, y], 'x-files')
x2, y2 = torch.load('x-files')
print((x2, y2))
mydict = {'x': x, 'y': y}
torch.save(mydict, 'mydict')
mydict2 = torch.load('mydict')
print(mydict2)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.output = nn.LazyLinear(10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))


net = MLP()
X = torch.randn(size=(2, 20))
Y = net(X)
torch.save(net.state_dict(), 'mlp.params')
clone = MLP()
print(clone.load_state_dict(torch.load('mlp.params')))
print(clone.eval())
Y_clone = clone(X)
print(Y_clone == Y)
print(clone.hidden.weight.shape, clone.training, clone.hidden.training)

# loading a checkpoint into a different model, as fine-tuning code does
state = torch.load('mlp.params')
state['extra.weight'] = torch.ones(2)
del state['output.bias']
other = MLP()
other(X)
result = other.load_state_dict(state, strict=False)
print(result.missing_keys, result.unexpected_keys)
try:
    other.load_state_dict(state)
except RuntimeError as e:
    print(e)
state['output.bias'] = torch.zeros(3)
try:
    other.load_state_dict(state, strict=False)
except RuntimeError as e:
    print(e)
