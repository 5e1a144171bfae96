"""LeNet-5 (LeCun et al., 1998, as D2L builds it: two 5x5 convolutions with pooling, then three
linear layers) on a small synthetic image set: 28x28 grey images of four shapes (a horizontal
bar, a vertical bar, a diagonal, a square outline) at random places, over noise.

    python examples/lenet.py

Prints the training loss before training and after each epoch, then the accuracy on held-out
images."""
import fastgrad as torch
from fastgrad import nn

SHAPES = ("horizontal bar", "vertical bar", "diagonal", "square")


def draw(image, shape, row, col):
    """Draws one shape, 10 pixels across, with its top left corner at (row, col)."""
    if shape == 0:
        image[row + 4:row + 6, col:col + 10] = 1.0
    elif shape == 1:
        image[row:row + 10, col + 4:col + 6] = 1.0
    elif shape == 2:
        for i in range(10):
            image[row + i, col + i] = 1.0
    else:
        image[row:row + 10, col:col + 10] = 1.0
        image[row + 2:row + 8, col + 2:col + 8] = 0.0


def images(count):
    """count images with their labels: each shape at a random place, plus Gaussian noise."""
    labels = torch.randint(0, len(SHAPES), (count,))
    corners = torch.randint(0, 18, (count, 2))
    pictures = torch.zeros(count, 1, 28, 28)
    for i in range(count):
        draw(pictures[i, 0], int(labels[i]), int(corners[i, 0]), int(corners[i, 1]))
    return pictures + 0.3 * torch.randn(count, 1, 28, 28), labels


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(kernel_size=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, len(SHAPES)))


def main():
    torch.manual_seed(0)
    train_X, train_y = images(1024)
    test_X, test_y = images(256)
    model = lenet()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)

    def report(epoch):
        model.eval()
        with torch.no_grad():
            loss = loss_fn(model(train_X), train_y)
        model.train()
        print(f"epoch {epoch}, loss {loss.item():f}")

    report(0)
    for epoch in range(8):
        order = torch.randperm(len(train_X))
        for start in range(0, len(order), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            loss_fn(model(train_X[batch]), train_y[batch]).backward()
            optimizer.step()
        report(epoch + 1)
    model.eval()
    with torch.no_grad():
        correct = (model(test_X).argmax(dim=1) == test_y).float().mean()
    print(f"final: test accuracy {correct.item():.3f}")


if __name__ == "__main__":
    main()
