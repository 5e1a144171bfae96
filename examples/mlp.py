"""A multilayer perceptron with fastgrad.nn and fastgrad.optim: nn.Sequential of Linear and ReLU
layers, nn.CrossEntropyLoss and optim.Adam, on three interleaved spirals (a data set no linear
model separates).

    python examples/mlp.py

Prints the training loss before training and after each epoch, then the accuracy on held-out
points."""
import math
import random

import fastgrad as torch
from fastgrad import nn

NUM_CLASSES = 3


def spirals(per_class):
    """Points on NUM_CLASSES spiral arms, 2-D, with a little noise on the angle."""
    radius = torch.arange(per_class) / per_class
    points, labels = [], []
    for c in range(NUM_CLASSES):
        angle = radius * 4 + c * 2 * math.pi / NUM_CLASSES + torch.normal(0, 0.2, (per_class,))
        points.append(torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1))
        labels.append(torch.full((per_class,), c, dtype=torch.long))
    return torch.cat(points), torch.cat(labels)


def batches(batch_size, features, labels):
    indices = list(range(len(features)))
    random.shuffle(indices)
    for i in range(0, len(indices), batch_size):
        batch = torch.tensor(indices[i:i + batch_size])
        yield features[batch], labels[batch]


def accuracy(logits, y):
    return float((logits.argmax(dim=1) == y).float().mean())


def main():
    torch.manual_seed(0)
    random.seed(0)
    train_X, train_y = spirals(400)
    test_X, test_y = spirals(100)

    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, NUM_CLASSES))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def report(epoch):
        with torch.no_grad():
            loss = loss_fn(model(train_X), train_y)
        print(f"epoch {epoch}, loss {float(loss):f}")

    report(0)
    for epoch in range(20):
        for X, y in batches(64, train_X, train_y):
            optimizer.zero_grad()
            loss_fn(model(X), y).backward()
            optimizer.step()
        report(epoch + 1)
    with torch.no_grad():
        print(f"final: test accuracy {accuracy(model(test_X), test_y):.3f}")


if __name__ == "__main__":
    main()
