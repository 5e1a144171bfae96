# Dive into Deep Learning, 9.5 RNN from scratch (with gradient clipping and prediction), 9.6 the
# concise RNN, 10.1-10.4 LSTM, GRU, deep and bidirectional RNNs (PyTorch), on generated text
import random
import torch
from torch import nn
from torch.nn import functional as F

random.seed(0)
torch.manual_seed(0)
words = ['the', 'time', 'machine', 'traveller', 'was', 'expounding', 'a', 'recondite',
         'matter', 'to', 'us', 'his', 'grey', 'eyes', 'shone']
text = ' '.join(random.choice(words) for _ in range(400))
vocab = sorted(set(text))
token_to_idx = {token: idx for idx, token in enumerate(vocab)}
corpus = [token_to_idx[ch] for ch in text]
num_steps, batch_size = 8, 16
X_all = torch.tensor([corpus[i:i + num_steps] for i in range(len(corpus) - num_steps)])
Y_all = torch.tensor([corpus[i + 1:i + num_steps + 1] for i in range(len(corpus) - num_steps)])
print(len(vocab), X_all.shape, ''.join(vocab))


class RNNScratch(nn.Module):
    """The RNN model implemented from scratch."""
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens = num_inputs, num_hiddens
        self.W_xh = nn.Parameter(
            torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(
            torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        if state is None:
            # Initial state with shape: (batch_size, num_hiddens)
            state = torch.zeros((inputs.shape[1], self.num_hiddens),
                                device=inputs.device)
        else:
            state, = state
        outputs = []
        for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
            state = torch.tanh(torch.matmul(X, self.W_xh) +
                               torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


batch_size, num_inputs, num_hiddens, num_steps = 2, 16, 32, 100
rnn = RNNScratch(num_inputs, num_hiddens)
X = torch.ones((num_steps, batch_size, num_inputs))
outputs, state = rnn(X)
print(len(outputs), outputs[0].shape, state.shape)


class RNNLMScratch(nn.Module):
    """The RNN-based language model implemented from scratch."""
    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        self.rnn, self.vocab_size, self.lr = rnn, vocab_size, lr
        self.init_params()

    def init_params(self):
        self.W_hq = nn.Parameter(
            torch.randn(
                self.rnn.num_hiddens, self.vocab_size) * 0.01)
        self.b_q = nn.Parameter(torch.zeros(self.vocab_size))

    def one_hot(self, X):
        # Output shape: (num_steps, batch_size, vocab_size)
        return F.one_hot(X.T, self.vocab_size).type(torch.float32)

    def output_layer(self, rnn_outputs):
        outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return torch.stack(outputs, 1)

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)

    def loss(self, Y_hat, Y):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        return F.cross_entropy(Y_hat, Y.reshape((-1,)))

    def predict(self, prefix, num_preds, vocab, device=None):
        state, outputs = None, [vocab.index(prefix[0])]
        for i in range(len(prefix) + num_preds - 1):
            X = torch.tensor([[outputs[-1]]], device=device)
            embs = self.one_hot(X)
            rnn_outputs, state = self.rnn(embs, state)
            if i < len(prefix) - 1:  # Warm-up period
                outputs.append(vocab.index(prefix[i + 1]))
            else:  # Predict num_preds steps
                Y = self.output_layer(rnn_outputs)
                outputs.append(int(Y.argmax(axis=2).reshape(1)))
        return ''.join([vocab[i] for i in outputs])


def clip_gradients(grad_clip_val, model):
    params = [p for p in model.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > grad_clip_val:
        for param in params:
            param.grad[:] *= grad_clip_val / norm
    return norm


def train(model, num_epochs, clip, scratch_clip=False):
    optimizer = torch.optim.SGD(model.parameters(), lr=model.lr)
    for epoch in range(num_epochs):
        perm = torch.randperm(len(X_all))[:128]
        for i in range(0, 128, 16):
            X, Y = X_all[perm[i:i + 16]], Y_all[perm[i:i + 16]]
            l = model.loss(model(X), Y)
            optimizer.zero_grad()
            l.backward()
            norm = (clip_gradients(clip, model) if scratch_clip
                    else nn.utils.clip_grad_norm_(model.parameters(), clip))
            optimizer.step()
        with torch.no_grad():
            ppl = torch.exp(model.loss(model(X_all[:200]), Y_all[:200]))
        print(f'epoch {epoch + 1}, perplexity {ppl:.3f}, grad norm {float(norm):.4f}')


rnn = RNNScratch(num_inputs=len(vocab), num_hiddens=32)
model = RNNLMScratch(rnn, vocab_size=len(vocab), lr=1)
train(model, 3, 1, scratch_clip=True)
print(model.predict('the time', 12, vocab))
print([(n, tuple(p.shape)) for n, p in model.named_parameters()])


# 9.6 concise: nn.RNN and its successors (10.1 LSTM, 10.2 GRU, 10.3 deep, 10.4 bidirectional)
class RNN(nn.Module):
    """The RNN model implemented with high-level APIs."""
    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.rnn = nn.RNN(num_inputs, num_hiddens)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class LSTM(RNN):
    def __init__(self, num_inputs, num_hiddens):
        nn.Module.__init__(self)
        self.num_hiddens = num_hiddens
        self.rnn = nn.LSTM(num_inputs, num_hiddens)

    def forward(self, inputs, H_C=None):
        return self.rnn(inputs, H_C)


class GRU(RNN):
    def __init__(self, num_inputs, num_hiddens, num_layers=1, dropout=0):
        nn.Module.__init__(self)
        self.num_hiddens = num_hiddens
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers,
                          dropout=dropout)


class BiRNN(RNN):
    def __init__(self, num_inputs, num_hiddens):
        nn.Module.__init__(self)
        self.num_hiddens = num_hiddens
        self.rnn = nn.RNN(num_inputs, num_hiddens, bidirectional=True)
        self.num_hiddens *= 2


class RNNLM(RNNLMScratch):
    """The RNN-based language model implemented with high-level APIs."""
    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)


for rnn in (RNN(num_inputs=len(vocab), num_hiddens=32), LSTM(num_inputs=len(vocab), num_hiddens=32),
            GRU(num_inputs=len(vocab), num_hiddens=32, num_layers=2, dropout=0.2),
            BiRNN(num_inputs=len(vocab), num_hiddens=16)):
    model = RNNLM(rnn, vocab_size=len(vocab), lr=1)
    print(model.predict('the time', 5, vocab))
    train(model, 2, 1)
    print(model)
    print([(n, tuple(p.shape)) for n, p in model.rnn.named_parameters()])
out, state = model.rnn(torch.randn(5, 3, len(vocab)))
print(out.shape, state.shape)
