"""Softmax regression from scratch: softmax written with exp and sum, the cross-entropy loss by
picking each example's predicted probability of its true class, `y_hat[range(n), y]`, and a
hand-written minibatch SGD step.

    python examples/softmax_regression.py

Classifies 4000 synthetic points in 10 dimensions drawn around 4 class centres; prints the
training loss before training and after each epoch, then the accuracy on 1000 held-out points."""
import random

import fastgrad as torch

NUM_INPUTS, NUM_CLASSES = 10, 4


def synthetic_data(centres, per_class):
    """`per_class` points around each centre (unit normal noise), labelled with its index."""
    X = torch.cat([centre + torch.normal(0, 1, (per_class, NUM_INPUTS)) for centre in centres])
    y = torch.cat([torch.full((per_class,), c, dtype=torch.long) for c in range(len(centres))])
    return X, y


def data_iter(batch_size, features, labels):
    """Minibatches of the examples in a random order."""
    indices = list(range(len(features)))
    random.shuffle(indices)
    for i in range(0, len(indices), batch_size):
        batch = torch.tensor(indices[i:i + batch_size])
        yield features[batch], labels[batch]


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition  # broadcasting divides each row by its sum


def net(X, W, b):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1) == y).float().mean())


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def main():
    torch.manual_seed(0)
    random.seed(0)
    centres = torch.normal(0, 1.5, (NUM_CLASSES, NUM_INPUTS))
    train_X, train_y = synthetic_data(centres, 1000)
    test_X, test_y = synthetic_data(centres, 250)

    W = torch.normal(0, 0.01, size=(NUM_INPUTS, NUM_CLASSES), requires_grad=True)
    b = torch.zeros(NUM_CLASSES, requires_grad=True)
    lr, num_epochs, batch_size = 0.1, 10, 64

    def report(epoch):
        with torch.no_grad():
            y_hat = net(train_X, W, b)
            loss = cross_entropy(y_hat, train_y).mean()
        print(f"epoch {epoch}, loss {float(loss):f}, train accuracy {accuracy(y_hat, train_y):.3f}")

    report(0)
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, train_X, train_y):
            loss = cross_entropy(net(X, W, b), y)
            loss.sum().backward()
            sgd([W, b], lr, batch_size)
        report(epoch + 1)
    with torch.no_grad():
        print(f"final: test accuracy {accuracy(net(test_X, W, b), test_y):.3f}")


if __name__ == "__main__":
    main()
