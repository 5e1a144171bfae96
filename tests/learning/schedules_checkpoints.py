# Learning-rate schedules as tutorials print them, gradient clipping, and the PyTorch tutorial
# "Saving and loading a general checkpoint" with AdamW: a resumed run continues exactly
import os
import tempfile
import torch
import torch.nn as nn
import torch.optim as optim
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector
from torch.nn.utils import vector_to_parameters
from torch.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                                      OneCycleLR, ReduceLROnPlateau, SequentialLR, StepLR)

torch.manual_seed(0)
X = torch.randn(64, 10)
y = X @ torch.randn(10, 1) + 0.1 * torch.randn(64, 1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def train_epoch(model, optimizer, scheduler=None, clip=None):
    model.train()
    for i in range(0, 64, 16):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(X[i:i + 16]), y[i:i + 16])
        loss.backward()
        if clip is not None:
            total_norm = clip_grad_norm_(model.parameters(), max_norm=clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return loss.item() if clip is None else (loss.item(), total_norm)


model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=3, gamma=0.1)
for epoch in range(7):
    loss = train_epoch(model, optimizer)
    scheduler.step()
    print(f"Epoch {epoch}: loss={loss:.5f}, lr={scheduler.get_last_lr()}")
print(scheduler.state_dict())

optimizer = optim.SGD(model.parameters(), lr=0.05)
scheduler = CosineAnnealingLR(optimizer, T_max=6, eta_min=1e-4)
for epoch in range(8):
    train_epoch(model, optimizer)
    scheduler.step()
    print(epoch, optimizer.param_groups[0]['lr'], scheduler.get_last_lr())

optimizer = optim.Adam(model.parameters(), lr=1e-3)
scheduler = OneCycleLR(optimizer, max_lr=0.01, steps_per_epoch=4, epochs=3)
for epoch in range(3):
    loss, norm = train_epoch(model, optimizer, scheduler, clip=1.0)
    print(epoch, f"{loss:.5f}", norm, scheduler.get_last_lr(), optimizer.param_groups[0]['betas'])

optimizer = optim.SGD(model.parameters(), lr=0.1)
warmup = LinearLR(optimizer, start_factor=0.1, total_iters=3)
decay = ExponentialLR(optimizer, gamma=0.9)
scheduler = SequentialLR(optimizer, schedulers=[warmup, decay], milestones=[3])
lrs = []
for epoch in range(6):
    optimizer.step()
    scheduler.step()
    lrs.append(round(scheduler.get_last_lr()[0], 6))
print(lrs)
optimizer = optim.SGD(model.parameters(), lr=0.1)
scheduler = LambdaLR(optimizer, lr_lambda=lambda epoch: 0.95 ** epoch)
for epoch in range(3):
    optimizer.step()
    scheduler.step()
print(scheduler.get_last_lr(), scheduler.last_epoch)
optimizer = optim.SGD(model.parameters(), lr=0.1)
scheduler = ReduceLROnPlateau(optimizer, 'min', patience=1, factor=0.5)
for val_loss in [1.0, 0.9, 0.95, 0.96, 0.97, 0.5]:
    scheduler.step(val_loss)
    print(val_loss, optimizer.param_groups[0]['lr'], scheduler.num_bad_epochs)

# clipping, and the parameters as one vector
model.zero_grad()
nn.functional.mse_loss(model(X), y).backward()
print(clip_grad_norm_(model.parameters(), max_norm=0.5, norm_type=2.0))
print(clip_grad_norm_(model.parameters(), max_norm=100.0))
print(clip_grad_norm_(model.parameters(), 0.1, norm_type=float('inf')))
clip_grad_value_(model.parameters(), clip_value=0.01)
print(model.fc1.weight.grad.abs().max(), model.fc2.bias.grad)
vec = parameters_to_vector(model.parameters())
print(vec.shape, vec.norm())
vector_to_parameters(vec * 0.5, model.parameters())
print(model.fc2.weight.norm(), model.fc2.bias)

# the general checkpoint: train 3 epochs, save, resume for 3 more; against 6 epochs in one go
torch.manual_seed(1)
net = Net()
start = {k: v.clone() for k, v in net.state_dict().items()}
optimizer = optim.AdamW(net.parameters(), lr=0.01, weight_decay=0.1)
print(optimizer)
for epoch in range(3):
    loss = train_epoch(net, optimizer)
path = os.path.join(tempfile.mkdtemp(), 'model.pt')
torch.save({
    'epoch': 3,
    'model_state_dict': net.state_dict(),
    'optimizer_state_dict': optimizer.state_dict(),
    'loss': loss,
}, path)
state = optimizer.state_dict()
print(sorted(state.keys()), sorted(state['state'][0].keys()), state['state'][0]['step'])
print(state['param_groups'])
for epoch in range(3):
    loss = train_epoch(net, optimizer)
print('uninterrupted', loss, net.fc1.weight.norm().item())

model = Net()
optimizer = optim.AdamW(model.parameters(), lr=0.5)
checkpoint = torch.load(path, weights_only=True)
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
loss = checkpoint['loss']
print(epoch, loss, optimizer.param_groups[0]['lr'], optimizer.param_groups[0]['weight_decay'])
model.train()
for epoch in range(3):
    loss = train_epoch(model, optimizer)
print('resumed', loss, model.fc1.weight.norm().item())
print(all(torch.equal(a, b) for a, b in zip(model.parameters(), net.parameters())))
print(optimizer.state[model.fc2.bias]['exp_avg_sq'], optimizer.state[model.fc2.bias]['step'])
