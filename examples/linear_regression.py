"""Linear regression from scratch: tensors that require grad, a squared loss,
backward(), a hand-written minibatch SGD step under no_grad() and grad.zero_().

    python examples/linear_regression.py

Fits y = X w + b + noise (w = [2, -3.4], b = 4.2) from 1000 synthetic examples; prints the loss
over the whole data set before training and after each epoch, then how far the learned w and b
are from the true ones."""
import random

import fastgrad as torch


def synthetic_data(w, b, num_examples):
    """y = X w + b + noise, X standard normal."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    """Minibatches of the examples in a random order."""
    indices = list(range(len(features)))
    random.shuffle(indices)
    for i in range(0, len(indices), batch_size):
        batch = torch.tensor(indices[i:i + batch_size])
        yield features[batch], labels[batch]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """One minibatch SGD step, in place; the gradients are then cleared for the next batch."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def main():
    torch.manual_seed(0)
    random.seed(0)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)

    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr, num_epochs, batch_size = 0.03, 3, 10

    def report(epoch):
        with torch.no_grad():
            loss = squared_loss(linreg(features, w, b), labels).mean()
        print(f"epoch {epoch}, loss {float(loss):f}")

    report(0)
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            loss = squared_loss(linreg(X, w, b), y)
            loss.sum().backward()
            sgd([w, b], lr, batch_size)
        report(epoch + 1)
    w_error = (true_w - w.detach().reshape(true_w.shape)).abs().max()
    b_error = abs(true_b - float(b.detach()))
    print(f"final: error in w {float(w_error):f}, error in b {b_error:f}")


if __name__ == "__main__":
    main()
