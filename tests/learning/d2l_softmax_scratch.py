# Dive into Deep Learning, softmax regression from scratch (PyTorch), on synthetic data
import torch

torch.manual_seed(1)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


X = torch.normal(0, 1, (2, 5))
X_prob = softmax(X)
print(X_prob, X_prob.sum(1))
num_inputs, num_outputs = 20, 4
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y])


def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])


print(cross_entropy(y_hat, y))


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


print(accuracy(y_hat, y) / len(y))
centers = torch.randn(num_outputs, num_inputs) * 2
labels = torch.randint(0, num_outputs, (256,))
features = centers[labels] + torch.randn(256, num_inputs)
for epoch in range(5):
    for i in range(0, 256, 32):
        Xb, yb = features[i:i + 32], labels[i:i + 32]
        l = cross_entropy(net(Xb), yb)
        l.mean().backward()
        with torch.no_grad():
            for param in (W, b):
                param -= 0.1 * param.grad
                param.grad.zero_()
    with torch.no_grad():
        print(f'epoch {epoch + 1}, loss {float(cross_entropy(net(features), labels).mean()):f}, '
              f'acc {accuracy(net(features), labels) / 256:.3f}')
