"""torch.nn's recurrent layers (RNN, LSTM, GRU) and their cells, made of differentiable ops
(matmul, sigmoid, tanh, chunk, stack), so gradients and double backward come from the rows.
Parameters have torch's names, shapes, order and initialisation, so state dicts carry over and
a seeded program gets torch's weights; the step formulas are those of torch's
aten/src/ATen/native/RNN.cpp (GRU's n = tanh(W_in x + b_in + r * (W_hn h + b_hn)))."""
import math
import numbers
import warnings

from .. import ops
from .._creation import empty, empty_like, zeros
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _linear(x, weight, bias):
    y = ops.matmul(x, ops.t(weight))
    return y if bias is None else y + bias


# ---- one step of each cell, given the input's projection gi = W_ih x + b_ih ----------------------
def _tanh_step(gi, h, w_hh, b_hh):
    return ops.tanh(_linear(h, w_hh, b_hh) + gi)


def _relu_step(gi, h, w_hh, b_hh):
    return ops.relu(_linear(h, w_hh, b_hh) + gi)


def _gru_step(gi, h, w_hh, b_hh):
    i_r, i_z, i_n = ops.chunk(gi, 3, 1)
    h_r, h_z, h_n = ops.chunk(_linear(h, w_hh, b_hh), 3, 1)
    r = ops.sigmoid(i_r + h_r)
    z = ops.sigmoid(i_z + h_z)
    n = ops.tanh(i_n + h_n * r)
    return (h - n) * z + n


def _lstm_step(gi, state, w_hh, b_hh, w_hr=None):
    h, c = state
    i, f, g, o = ops.chunk(_linear(h, w_hh, b_hh) + gi, 4, 1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    h = ops.sigmoid(o) * ops.tanh(c)
    return (h if w_hr is None else _linear(h, w_hr, None)), c


_STEPS = {"LSTM": _lstm_step, "GRU": _gru_step, "RNN_TANH": _tanh_step, "RNN_RELU": _relu_step}


def _check_positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of each layer and direction, torch's
    argument checks, the layer loop (dropout between layers while training) and the repr."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        _check_positive("input_size", input_size)
        _check_positive("hidden_size", hidden_size)
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        self._all_weights = []
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        for layer in range(num_layers):
            for direction in range(self._directions()):
                suffix = "_reverse" if direction else ""
                layer_input = input_size if layer == 0 else real_hidden * self._directions()
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for name, shape in shapes:
                    names.append(f"{name}_l{layer}{suffix}")
                    setattr(self, names[-1], Parameter(empty(*shape, dtype=dtype, device=device)))
                self._all_weights.append(names)
        self.reset_parameters()

    def _directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights_names(self):
        return [name for names in self._all_weights for name in names]

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op, as torch's off CUDA."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- argument checks, as torch's -------------------------------------------------------------
    def _name(self):
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def _hidden_sizes(self, input):
        batch = input.size(0) if self.batch_first else input.size(1)
        layers = self.num_layers * self._directions()
        return (layers, batch, self.proj_size or self.hidden_size), (layers, batch,
                                                                     self.hidden_size)

    def check_input(self, input, batch_sizes=None):
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or "
                             f"convert model: model.to({input.dtype})")
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    @staticmethod
    def _check_hidden_size(hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != expected:
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def _check_dims(self, input, hx):
        """input 2-D (unbatched) or 3-D and hx (a tensor, or LSTM's pair) of one dimension less
        or the same, as torch words it; gives whether the input is batched."""
        if input.dim() not in (2, 3):
            got = f"{input.dim()}D " + ("tensor instead" if self.mode.startswith("RNN") else
                                        "instead")
            raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {got}")
        batched = input.dim() == 3
        want, kind = (3, "batched 3-D") if batched else (2, "unbatched 2-D")
        if hx is None:
            return batched
        if self.mode == "LSTM":
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
        elif hx.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                               f"{hx.dim()}-D tensor")
        return batched

    # ---- the computation -------------------------------------------------------------------------
    def forward(self, input, hx=None):
        batched = self._check_dims(input, hx)
        batch_dim = 0 if self.batch_first else 1
        lstm = self.mode == "LSTM"
        if not batched:
            input = ops.unsqueeze(input, batch_dim)
            if hx is not None:
                hx = (tuple(ops.unsqueeze(s, 1) for s in hx) if lstm else ops.unsqueeze(hx, 1))
        h_size, c_size = self._hidden_sizes(input)
        if hx is None:
            hx = ((zeros(*h_size, dtype=input.dtype), zeros(*c_size, dtype=input.dtype)) if lstm
                  else zeros(*h_size, dtype=input.dtype))
        self.check_input(input)
        if lstm:
            self._check_hidden_size(hx[0], h_size, "Expected hidden[0] size {}, got {}")
            self._check_hidden_size(hx[1], c_size, "Expected hidden[1] size {}, got {}")
        else:
            self._check_hidden_size(hx, h_size)
        output, states = self._run(ops.transpose(input, 0, 1) if self.batch_first else input, hx)
        if self.batch_first:
            output = ops.transpose(output, 0, 1)
        hidden = tuple(ops.stack(s) for s in zip(*states)) if lstm else ops.stack(states)
        if not batched:
            output = ops.squeeze(output, batch_dim)
            hidden = tuple(ops.squeeze(s, 1) for s in hidden) if lstm else ops.squeeze(hidden, 1)
        return output, hidden

    def _initial(self, hx, index):
        return (hx[0][index], hx[1][index]) if self.mode == "LSTM" else hx[index]

    def _run(self, x, hx):
        """The layers over the time-major x: the last layer's output and each layer and
        direction's final state, in h_n's order."""
        if x.size(0) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        finals = []
        directions = self._directions()
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                keep = 1 - self.dropout
                x = x * (empty_like(x).bernoulli_(keep) / keep)  # torch's dropout
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                out, final = self._direction(x, self._initial(hx, index),
                                             self.all_weights[index], direction == 1)
                outputs.append(out)
                finals.append(final)
            x = outputs[0] if directions == 1 else ops.cat(outputs, 2)
        return x, finals

    def _direction(self, x, state, weights, reverse):
        """One layer in one direction: the input's projections for all steps in one product
        (as torch's CPU path), then the steps."""
        if self.bias:
            w_ih, w_hh, b_ih, b_hh, *w_hr = weights
        else:
            (w_ih, w_hh, *w_hr), b_ih, b_hh = weights, None, None
        gi = _linear(x, w_ih, b_ih)
        step = _STEPS[self.mode]
        outputs = []
        for t in (reversed(range(x.size(0))) if reverse else range(x.size(0))):
            state = step(gi[t], state, w_hh, b_hh, *w_hr)
            outputs.append(state[0] if self.mode == "LSTM" else state)
        if reverse:
            outputs.reverse()
        return ops.stack(outputs), state


class RNN(RNNBase):
    """Elman RNN: h_t = tanh or relu(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__("RNN_" + self.nonlinearity.upper(), *args, **kwargs)


class LSTM(RNNBase):
    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- the cells ---------------------------------------------------------------------------------
class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(gates, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(gates, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    reset_parameters = RNNBase.reset_parameters

    def _prepare(self, input, hx, count):
        """input and the states in hx (count of them, or None for zeros) as batches, with
        torch's checks; and whether the input was batched."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        states = [None] * count if hx is None else ([hx] if count == 1 else list(hx))
        for i, s in enumerate(states):
            if s is not None and s.dim() not in (1, 2):
                what = "hidden" if count == 1 else f"hx[{i}]"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D "
                                 f"instead")
        batched = input.dim() == 2
        if not batched:
            input = ops.unsqueeze(input, 0)
            states = [s if s is None else ops.unsqueeze(s, 0) for s in states]
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        zero = zeros(input.size(0), self.hidden_size, dtype=input.dtype)
        states = [zero if s is None else s for s in states]
        for i, s in enumerate(states):
            if s.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match "
                                   f"hidden{i} batch size {s.size(0)}")
            if s.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got "
                                   f"{s.size(1)}, expected {self.hidden_size}")
        return _linear(input, self.weight_ih, self.bias_ih), states, batched

    def _cell(self, step, input, hx, count):
        gi, states, batched = self._prepare(input, hx, count)
        out = step(gi, states[0] if count == 1 else tuple(states), self.weight_hh, self.bias_hh)
        if batched:
            return out
        return ops.squeeze(out, 0) if count == 1 else tuple(ops.squeeze(s, 0) for s in out)


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        steps = {"tanh": _tanh_step, "relu": _relu_step}
        if self.nonlinearity not in steps:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._cell(steps[self.nonlinearity], input, hx, 1)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._cell(_lstm_step, input, hx, 2)


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._cell(_gru_step, input, hx, 1)
