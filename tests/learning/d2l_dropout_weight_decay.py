# Dive into Deep Learning, 3.7 Weight Decay (from scratch) and 5.6 Dropout (from scratch and
# concise), PyTorch, on synthetic images; then decay for weights only, by parameter group
import torch
from torch import nn

torch.manual_seed(42)


def l2_penalty(w):
    return (w ** 2).sum() / 2


n_train, num_inputs = 20, 200
true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05
train_X = torch.randn(n_train, num_inputs)
train_y = torch.matmul(train_X, true_w) + true_b + torch.randn(n_train, 1) * 0.01


def train_scratch(lambd):
    w = torch.normal(0, 0.01, size=(num_inputs, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr = 0.01
    for epoch in range(10):
        for i in range(0, n_train, 5):
            X, y = train_X[i:i + 5], train_y[i:i + 5]
            l = ((torch.matmul(X, w) + b - y) ** 2 / 2).mean() + lambd * l2_penalty(w)
            l.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
    print('L2 norm of w:', float(l2_penalty(w)), float(l))


train_scratch(0)
train_scratch(3)


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print('dropout_p = 0:', dropout_layer(X, 0))
print('dropout_p = 0.5:', dropout_layer(X, 0.5))
print('dropout_p = 1:', dropout_layer(X, 1))


class DropoutMLPScratch(nn.Module):
    def __init__(self, num_outputs, num_hiddens_1, num_hiddens_2,
                 dropout_1, dropout_2, lr):
        super().__init__()
        self.dropout_1, self.dropout_2, self.lr = dropout_1, dropout_2, lr
        self.lin1 = nn.LazyLinear(num_hiddens_1)
        self.lin2 = nn.LazyLinear(num_hiddens_2)
        self.lin3 = nn.LazyLinear(num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((X.shape[0], -1))))
        if self.training:
            H1 = dropout_layer(H1, self.dropout_1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout_2)
        return self.lin3(H2)


class DropoutMLP(nn.Module):
    def __init__(self, num_outputs, num_hiddens_1, num_hiddens_2,
                 dropout_1, dropout_2, lr):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.Flatten(), nn.LazyLinear(num_hiddens_1), nn.ReLU(),
            nn.Dropout(dropout_1), nn.LazyLinear(num_hiddens_2), nn.ReLU(),
            nn.Dropout(dropout_2), nn.LazyLinear(num_outputs))

    def forward(self, X):
        return self.net(X)


centers = torch.randn(10, 1, 6, 6)
labels = torch.randint(0, 10, (256,))
images = centers[labels] + torch.randn(256, 1, 6, 6)
loss = nn.CrossEntropyLoss()
hparams = {'num_outputs': 10, 'num_hiddens_1': 64, 'num_hiddens_2': 32,
           'dropout_1': 0.5, 'dropout_2': 0.5, 'lr': 0.1}
for model in (DropoutMLPScratch(**hparams), DropoutMLP(**hparams)):
    model(images[:1])
    optim = torch.optim.SGD(model.parameters(), lr=model.lr)
    for epoch in range(4):
        model.train()
        for i in range(0, 256, 32):
            l = loss(model(images[i:i + 32]), labels[i:i + 32])
            optim.zero_grad()
            l.backward()
            optim.step()
        model.eval()
        with torch.no_grad():
            Y_hat = model(images)
            print(epoch + 1, f'{float(loss(Y_hat, labels)):.5f}',
                  float((Y_hat.argmax(1) == labels).float().mean()))
    print(model.training, [m.training for m in model.modules()][:3])
print(model)
drop = nn.Dropout(0.2)
print(drop, drop(torch.ones(2, 6)))
drop.eval()
print(drop(torch.ones(2, 6)))

# decay the weights, not the biases: two parameter groups
decay = [p for n, p in model.named_parameters() if n.endswith('weight')]
no_decay = [p for n, p in model.named_parameters() if not n.endswith('weight')]
optim = torch.optim.SGD([{'params': decay, 'weight_decay': 1e-2},
                         {'params': no_decay, 'weight_decay': 0.0}], lr=0.05, momentum=0.9)
model.train()
for step in range(5):
    l = loss(model(images[:64]), labels[:64])
    optim.zero_grad()
    l.backward()
    optim.step()
    print(step, l.item(), sum(p.norm() ** 2 for p in decay).item())
print([(len(g['params']), g['weight_decay'], g['momentum']) for g in optim.param_groups])
print(sorted(optim.state_dict()['state'].keys()), optim.state_dict()['param_groups'][0]['params'])
