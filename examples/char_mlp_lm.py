"""A character-level MLP language model (makemore's, part 3): each name's characters predicted
from the three before, through an embedding, a hidden layer with batch norm and tanh, and a
softmax over the characters; trained with SGD on minibatches. Written with torch's modules:
run it with `import torch` instead to get PyTorch's numbers."""
import fastgrad as torch
import fastgrad.nn as nn
import fastgrad.nn.functional as F

words = ("emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily "
         "elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe "
         "penelope layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella "
         "natalie zoe leah hazel violet aurora savannah audrey brooklyn bella claire skylar "
         "lucy paisley everly anna caroline nova genesis emilia kennedy samantha maya willow "
         "kinsley naomi aaliyah elena sarah ariana allison gabriella alice madelyn cora ruby eva "
         "serenity autumn adeline hailey gianna valentina isla eliana quinn nevaeh ivy sadie").split()
chars = sorted(set("".join(words)))
stoi = {".": 0, **{c: i + 1 for i, c in enumerate(chars)}}  # "." ends each name
vocab, context, n_embd, n_hidden = len(chars) + 1, 3, 10, 200

xs, ys = [], []
for w in words:
    window = [0] * context
    for c in w + ".":
        xs.append(window)
        ys.append(stoi[c])
        window = window[1:] + [stoi[c]]
X, Y = torch.tensor(xs), torch.tensor(ys)


class CharMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab, n_embd)
        self.hidden = nn.Linear(context * n_embd, n_hidden, bias=False)
        self.norm = nn.BatchNorm1d(n_hidden)
        self.out = nn.Linear(n_hidden, vocab)

    def forward(self, idx):
        emb = self.embedding(idx).view(idx.shape[0], -1)
        return self.out(torch.tanh(self.norm(self.hidden(emb))))


torch.manual_seed(42)
model = CharMLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
batch = 32
for epoch in range(10):
    order = torch.randperm(len(ys))
    total, steps = 0.0, 0
    for i in range(0, len(ys) - batch + 1, batch):
        rows = order[i:i + batch]
        loss = F.cross_entropy(model(X[rows]), Y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total, steps = total + loss.item(), steps + 1
    print(f"epoch {epoch}, loss {total / steps:.4f}")

model.eval()
with torch.no_grad():
    print(f"final: loss {F.cross_entropy(model(X), Y).item():.4f} on all {len(ys)} examples, "
          f"running mean of the hidden units {model.norm.running_mean.mean().item():.4f}")
