"""Random numbers as torch's CPU generator makes them: torch.Generator (mt19937, seeded and stored
as torch's), the default generator behind torch.manual_seed, and every function and Tensor method
that draws. The draws and their transforms run in C (csrc/random.c), in torch's order, so a
program seeded as a torch program gets torch's numbers."""
import numbers
import os
import threading

import numpy as np

from . import _device, _dtype
from . import _kernels as K
from ._autograd import check_writable, grad_state, no_grad
from ._creation import _finish, _size
from ._fastgrad_c import ffi, lib
from ._tensor import Tensor, empty_like_shape
from ._shape import broadcast_shape
from .ops import add, mul
from .ops import min as _min
from .ops._core import Op, apply, zeros
from .ops.inplace import apply_in_place, recording_into

DEFAULT_SEED = 67280421310721  # torch.Generator()'s seed


def _seed_value(seed, what):
    """A seed as torch takes it: an int, negative ones wrapping to uint64."""
    if not isinstance(seed, numbers.Integral):
        raise RuntimeError(f"{what} expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -2**63 <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed % 2**64


class Generator:
    """torch.Generator: an mt19937 stream of its own (seeded with torch's default seed)."""

    def __init__(self, device="cpu"):
        self.device = _device.check(device)
        self._g = ffi.new("fg_generator *")
        self._lock = threading.Lock()  # the C call runs without the GIL
        lib.fg_rng_seed(self._g, DEFAULT_SEED)

    def manual_seed(self, seed):
        lib.fg_rng_seed(self._g, _seed_value(seed, "manual_seed"))
        return self

    def seed(self):
        """Seeds from the operating system (53 bits, as torch) and returns the seed."""
        seed = int.from_bytes(os.urandom(8), "little") & (2**53 - 1)
        lib.fg_rng_seed(self._g, seed)
        return seed

    def initial_seed(self):
        return int(self._g.seed)

    def get_state(self):
        """The state as a uint8 tensor, byte for byte torch's CPU generator state."""
        out = empty_like_shape((lib.FG_RNG_STATE_BYTES,), _dtype.uint8)
        lib.fg_rng_get_state(self._g, ffi.cast("uint8_t *", out._ptr))
        return out

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtype.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        data = np.ascontiguousarray(new_state._a)
        status = lib.fg_rng_set_state(self._g, ffi.from_buffer("uint8_t[]", data), data.size)
        if status == lib.FG_ESIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size "
                               f"{lib.FG_RNG_STATE_BYTES} but found the input RNG state size to "
                               f"be {data.size}")
        if status:
            raise RuntimeError("Invalid mt19937 state")
        return self

    def _call(self, kernel, *args):
        with self._lock:
            return kernel(self._g, *args)


default_generator = Generator()
default_generator.seed()


def manual_seed(seed):
    return default_generator.manual_seed(int(seed))


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _gen(generator):
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator as generator, got {type(generator).__name__}")
    return generator


def _num(v):
    """A number as torch prints it in messages (2.0 as 2)."""
    return int(v) if float(v).is_integer() else v


def _needs_float(t, kernel):
    if not t.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{t.dtype._torch_name}'")


# ---- the draws into a tensor's memory (no autograd here) ------------------------------------
def _uniform(t, low, high, generator):
    _needs_float(t, "check_uniform_bounds")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_num(low)} > to={_num(high)}")
    return _gen(generator)._call(K.rng_fill, lib.FG_RNG_UNIFORM, t, low, high)


def _normal(t, mean, std, generator):
    _needs_float(t, "normal_kernel_cpu")
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    return _gen(generator)._call(K.rng_fill, lib.FG_RNG_NORMAL, t, mean, std)


def _exponential(t, lambd, generator):
    _needs_float(t, "exponential_cpu")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    return _gen(generator)._call(K.rng_fill, lib.FG_RNG_EXPONENTIAL, t, lambd)


_INT_BOUNDS = {"bool": (0, 1, "bool"), "int64": (-2**63, 2**63 - 1, "long int"),
               "int32": (-2**31, 2**31 - 1, "int"), "int16": (-2**15, 2**15 - 1, "short int"),
               "int8": (-2**7, 2**7 - 1, "signed char"), "uint8": (0, 2**8 - 1, "unsigned char"),
               "float16": (-2**11, 2**11, "c10::Half"), "float32": (-2**24, 2**24, "float"),
               "float64": (-2**53, 2**53, "double")}


def _random_from_to(t, low, high, generator):
    """Integers in [low, high) (high None: up to the dtype's largest), as torch's random_."""
    lo, hi, name = _INT_BOUNDS[t.dtype.name]
    if high is None:
        high = hi + 1
    elif low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")
    if high - low == 2**64:
        return _gen(generator)._call(K.rng_fill, lib.FG_RNG_INT_FULL, t)
    return _gen(generator)._call(K.rng_fill, lib.FG_RNG_INT_RANGE, t, 0.0, 0.0, high - low, low)


def _bernoulli_scalar(t, p, generator):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
    return _gen(generator)._call(K.rng_fill, lib.FG_RNG_BERNOULLI, t, p)


def _bernoulli_tensor(t, p, generator):
    _needs_float(p, "bernoulli_tensor_cpu_p_")
    if _gen(generator)._call(K.rng_bernoulli, t, p) is None:
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    return t


# ---- Tensor methods: in place, as torch's (a leaf that requires grad refuses) -----------------
def _zero_tangent(op, tangents, out, *inputs, **params):
    return zeros(out._a.shape, out.dtype)


def _overwrite_row(grad_fn_name):
    """A graph node for values drawn over a tensor: nothing flows back to what it held."""
    return Op(grad_fn_name, lambda x, values: values,
              lambda g, out, values: zeros(g._a.shape, g.dtype), save_inputs=False,
              jvp=_zero_tangent)


_OVERWRITES = {name: _overwrite_row(name.capitalize().rstrip("_") + "Backward0")
               for name in ("normal_", "uniform_", "exponential_", "random_", "bernoulli_")}


def _in_place(x, name, draw):
    if not recording_into(x, None) and grad_state.fw_level is None:
        check_writable(x, name)
        draw(x)
        x._version[0] += 1
        return x
    values = Tensor(np.empty_like(x._a), x.dtype)  # x's layout: the draws land in x's order
    draw(values)
    return apply_in_place(name, lambda t, _: apply(_OVERWRITES[name], t, values=values), x, 0)


def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    return _in_place(self, "uniform_", lambda t: _uniform(t, from_, to, generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _in_place(self, "normal_", lambda t: _normal(t, mean, std, generator))


def exponential_(self, lambd=1.0, *, generator=None):
    return _in_place(self, "exponential_", lambda t: _exponential(t, lambd, generator))


_TO_MISSING = object()  # random_(from, None) is not random_(from): None means "up to the max"


def random_(self, from_=None, to=_TO_MISSING, *, generator=None):
    """random_() (the dtype's whole range), random_(to), random_(from, to) or random_(from,
    None) (from up to the dtype's largest value)."""
    if to is _TO_MISSING:
        if from_ is None:
            return _in_place(self, "random_", lambda t: _gen(generator)._call(
                K.rng_fill, lib.FG_RNG_INT_DEFAULT, t))
        from_, to = 0, from_
    return _in_place(self, "random_", lambda t: _random_from_to(t, from_, to, generator))


def bernoulli_(self, p=0.5, *, generator=None):
    if isinstance(p, Tensor):
        return _in_place(self, "bernoulli_", lambda t: _bernoulli_tensor(t, p, generator))
    return _in_place(self, "bernoulli_", lambda t: _bernoulli_scalar(t, p, generator))


# ---- functions that make new tensors ----------------------------------------------------------
def _new(size_args, size, dtype, device, default=None):
    _device.check(device)
    shape = _size(size_args if size is None else (size,))
    return empty_like_shape(shape, _dtype.to_dtype(dtype or default or _dtype.default_float))


def _like(x, dtype, device):
    _device.check(device)
    return empty_like_shape(x._a.shape, _dtype.to_dtype(dtype) if dtype is not None else x.dtype)


def rand(*size_args, size=None, generator=None, dtype=None, device=None, requires_grad=False,
         layout=None, pin_memory=False):
    """Uniform samples from [0, 1)."""
    return _finish(_uniform(_new(size_args, size, dtype, device), 0.0, 1.0, generator),
                   requires_grad)


def randn(*size_args, size=None, generator=None, dtype=None, device=None, requires_grad=False,
          layout=None, pin_memory=False):
    """Standard normal samples."""
    return _finish(_normal(_new(size_args, size, dtype, device), 0.0, 1.0, generator),
                   requires_grad)


def _low_high(args, low, high, what):
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    elif args:
        raise TypeError(f"{what}() takes (high) or (low, high) before its size")
    if high is None:
        raise TypeError(f"{what}() missing required argument 'high'")
    return (0 if low is None else int(low)), int(high)


def randint(*args, size=None, low=None, high=None, generator=None, dtype=None, device=None,
            requires_grad=False, layout=None, pin_memory=False):
    """randint(high, size) or randint(low, high, size): integers in [low, high), int64."""
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        args, size = args[:-1], args[-1]
    low, high = _low_high(args, low, high, "randint")
    out = _new((), tuple(size), dtype, device, _dtype.int64)
    return _finish(_random_from_to(out, low, high, generator), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    """A random permutation of 0..n-1 (torch's shuffle)."""
    _device.check(device)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = _dtype.to_dtype(dtype or _dtype.int64)
    return _finish(_gen(generator)._call(K.rng_randperm, int(n), dtype), requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
              layout=None, memory_format=None):
    return _finish(_uniform(_like(input, dtype, device), 0.0, 1.0, generator), requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
               layout=None, memory_format=None):
    return _finish(_normal(_like(input, dtype, device), 0.0, 1.0, generator), requires_grad)


def randint_like(input, *args, low=None, high=None, generator=None, dtype=None, device=None,
                 requires_grad=False, layout=None, memory_format=None):
    """randint_like(input, high) or randint_like(input, low, high): input's dtype and shape."""
    low, high = _low_high(args, low, high, "randint_like")
    return _finish(_random_from_to(_like(input, dtype, device), low, high, generator),
                   requires_grad)


# normal with tensor mean and/or std: torch's gradients for them are zero (the draw is not
# reparameterised; torch.distributions' rsample is).
def _normal_row(name, n_inputs):
    grads = [lambda g, out, *ins, i=i, **params: zeros(ins[i]._a.shape, ins[i].dtype)
             for i in range(n_inputs)]
    return Op(name, lambda *ins, values: values, *grads, jvp=_zero_tangent)


NORMAL_MEAN = _normal_row("NormalBackward1", 1)
NORMAL_STD = _normal_row("NormalBackward2", 1)
NORMAL_BOTH = _normal_row("NormalBackward3", 2)


def _check_std_tensor(std):
    if std.numel() and not _min(std).item() >= 0:  # NaN fails too, as in torch
        raise RuntimeError("normal expects all elements of std >= 0.0")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    """torch.normal's four forms: number mean and std with a size, or a tensor mean and/or std
    (the result takes their broadcast shape and dtype), drawn as torch draws them."""
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mean_t or std_t):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: number "
                            "mean and std need a size")
        out = _new((), tuple(size) if not isinstance(size, int) else (size,), dtype, device)
        return _finish(_normal(out, mean, std, generator), requires_grad)
    if std_t:
        _check_std_tensor(std)
    with no_grad():
        values = _normal_values(mean, std, mean_t, std_t, generator)
    if mean_t and std_t:
        return apply(NORMAL_BOTH, mean, std, values=values)
    return apply(NORMAL_MEAN, mean, values=values) if mean_t else apply(NORMAL_STD, std,
                                                                         values=values)


def _normal_values(mean, std, mean_t, std_t, generator):
    """torch's arithmetic: a number std scales the draws (normal_(0, std)) and the mean is
    added; a tensor std multiplies standard draws."""
    if not std_t:
        return add(_normal(_like(mean, None, None), 0.0, std, generator), mean)
    shape, dtype = std._a.shape, std.dtype
    if mean_t:
        shape, dtype = broadcast_shape("normal", mean._a.shape, shape), mean.dtype
    eps = _normal(empty_like_shape(shape, dtype), 0.0, 1.0, generator)
    return add(mul(eps, std), mean)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """num_samples category indices per row of the probabilities (1-d or 2-d), drawn as torch."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._torch_name}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if input.shape[-1] > 2**24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    out = _gen(generator)._call(K.rng_multinomial, input, int(num_samples), bool(replacement))
    if not isinstance(out, Tensor):
        raise RuntimeError(_MULTINOMIAL_ERRORS[out])
    return out if input.ndim == 2 else out.reshape(-1)


_MULTINOMIAL_ERRORS = {
    lib.FG_RNG_BAD_NEGATIVE: "invalid multinomial distribution (encountering probability entry "
                             "< 0)",
    lib.FG_RNG_BAD_NOT_FINITE: "invalid multinomial distribution (encountering probability "
                               "entry = infinity or NaN)",
    lib.FG_RNG_BAD_SUM: "invalid multinomial distribution (sum of probabilities <= 0)",
    lib.FG_RNG_BAD_ANY: "probability tensor contains either `inf`, `nan` or element < 0",
}


def bernoulli(input, p=None, *, generator=None):
    """0/1 draws with probability input (or the number p), in input's dtype and shape."""
    out = empty_like_shape(input._a.shape, input.dtype)
    if p is None:
        return _bernoulli_tensor(out, input, generator)
    return _bernoulli_scalar(out, p, generator)


# The Tensor methods of this module (attached by _tensor.py).
TENSOR_METHODS = {
    "uniform_": uniform_, "normal_": normal_, "exponential_": exponential_, "random_": random_,
    "bernoulli_": bernoulli_, "bernoulli": bernoulli, "multinomial": multinomial,
}
