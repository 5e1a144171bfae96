"""A character-level MLP language model (makemore's: embedding, context of 3, tanh hidden layer),
trained with its step under torch.compile, then timed against the same step run eagerly.
Run as it is with `import torch` instead to compare with PyTorch."""
import time

import fastgrad as torch

words = ("emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily "
         "elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe "
         "penelope layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella "
         "natalie zoe leah hazel violet aurora savannah audrey brooklyn bella claire skylar").split()
chars = sorted(set("".join(words)))
index = {c: i + 1 for i, c in enumerate(chars)}  # 0 is the '.' that starts and ends a word
vocab, context = len(chars) + 1, 3

xs, ys = [], []
for w in words:
    window = [0] * context
    for c in w + ".":
        xs.append(window)
        ys.append(index.get(c, 0))
        window = window[1:] + [index.get(c, 0)]
X, Y = torch.tensor(xs), torch.tensor(ys)

torch.manual_seed(0)
C = torch.randn(vocab, 10)
W1 = torch.randn(30, 200) * 0.2
b1 = torch.zeros(200)
W2 = torch.randn(200, vocab) * 0.01
b2 = torch.zeros(vocab)
params = [C, W1, b1, W2, b2]
for p in params:
    p.requires_grad_(True)


def step(Xb, Yb, lr):
    for p in params:
        p.grad = None
    h = torch.tanh(C[Xb].view(-1, 30) @ W1 + b1)
    loss = torch.nn.functional.cross_entropy(h @ W2 + b2, Yb)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return loss.detach()


compiled = torch.compile(step)
batch = 32
for epoch in range(8):
    total = 0.0
    for i in range(0, len(ys) - batch + 1, batch):
        rows = list(range(i, i + batch))
        total += compiled(X[rows], Y[rows], 0.1).item()
    print(f"epoch {epoch}, loss {total / (len(ys) // batch):.4f}")


def time_steps(fn, n=200):
    Xb, Yb = X[:batch], Y[:batch]
    start = time.perf_counter()
    for _ in range(n):
        fn(Xb, Yb, 0.0)  # lr 0: the model stays as trained
    return (time.perf_counter() - start) / n


eager_s, compiled_s = time_steps(step), time_steps(compiled)
print(f"final: step eager {eager_s * 1e6:.0f} us, compiled {compiled_s * 1e6:.0f} us, "
      f"speed-up {eager_s / compiled_s:.1f}x")
