"""nn.Module's API and the containers against torch.nn: traversal (shared modules once),
buffers, state_dict and load_state_dict (keys, order, errors), hooks, apply, dtype changes,
and Sequential, ModuleList, ModuleDict, ParameterList (indexing, numbering, printing)."""
import collections

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastgrad as fg  # noqa: E402


def model(L):
    """A model with a shared layer, a buffer of each kind and every container."""
    nn = L.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            shared = nn.Linear(3, 3)
            self.body = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), shared)
            self.heads = nn.ModuleList([nn.Linear(3, 1) for _ in range(3)] + [shared])
            self.named = nn.ModuleDict({"act": nn.Tanh(), "out": nn.Linear(3, 2)})
            self.extra = nn.ParameterList([nn.Parameter(L.ones(2, 3)), L.zeros(4)])
            self.register_buffer("steps", L.tensor(0))
            self.register_buffer("scratch", L.zeros(2), persistent=False)

        def forward(self, x):
            h = self.body(x)
            return self.named["out"](self.named["act"](h)) + sum(m(h) for m in self.heads[:3])
    return Net()


def same_weights(f_model, t_model):
    """Loads torch's numbers into the fastgrad model."""
    f_model.load_state_dict({k: fg.tensor(v.detach().numpy()) for k, v in
                             t_model.state_dict().items()})


def facts(L):
    m = model(L)
    return [list(m.state_dict()), [n for n, _ in m.named_parameters()],
            [n for n, _ in m.named_modules()], [n for n, _ in m.named_children()],
            [n for n, _ in m.named_buffers()], len(list(m.parameters())),
            [n for n, _ in m.named_parameters(remove_duplicate=False)], repr(m),
            [type(c).__name__ for c in m.children()], repr(m.get_submodule("body.2"))]


def test_traversal_state_dict_keys_and_printing_match_torch():
    assert facts(fg) == facts(torch)


def test_forward_after_loading_torchs_weights():
    t_model, f_model = model(torch), model(fg)
    same_weights(f_model, t_model)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 2)).astype(np.float32)
    np.testing.assert_allclose(f_model(fg.tensor(x)).detach().numpy(),
                               t_model(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


LOAD_CASES = {
    "missing": lambda L, sd: sd.pop("body.0.bias"),
    "unexpected": lambda L, sd: sd.update({"body.9.weight": L.zeros(1), "stray": L.ones(2)}),
    "both": lambda L, sd: (sd.pop("steps"), sd.update({"stray": L.ones(2)})),
    "shape": lambda L, sd: sd.update({"body.0.weight": L.zeros(2, 2)}),
    "not a tensor": lambda L, sd: sd.update({"body.0.weight": [1.0]}),
}


@pytest.mark.parametrize("case", sorted(LOAD_CASES))
@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_errors_and_results_match_torch(case, strict):
    def run(L):
        m = model(L)
        sd = m.state_dict()
        LOAD_CASES[case](L, sd)
        try:
            return repr(m.load_state_dict(sd, strict=strict))
        except (RuntimeError, TypeError) as e:
            return f"{type(e).__name__}: {e}"
    assert run(fg) == run(torch)


def test_load_state_dict_refuses_a_non_mapping():
    for L in (fg, torch):
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class "
                                            "'list'>"):
            L.nn.Linear(2, 2).load_state_dict([])


def test_state_dict_shares_memory_and_load_copies():
    for L in (fg, torch):
        lin = L.nn.Linear(2, 2)
        sd = lin.state_dict()
        assert not sd["weight"].requires_grad
        with L.no_grad():
            lin.weight.fill_(3.0)
        assert sd["weight"][0, 0].item() == 3.0
        other = L.nn.Linear(2, 2)
        other.load_state_dict(sd)
        assert other.weight.requires_grad and other.weight[1, 1].item() == 3.0


def test_buffers_and_registration_errors_match_torch():
    def run(L):
        m = L.nn.Module()
        out = []
        for name, value in (("a.b", L.zeros(1)), ("", L.zeros(1)), (3, L.zeros(1)),
                            ("t", [1.0]), ("training", L.zeros(1))):
            try:
                m.register_buffer(name, value)
            except (KeyError, TypeError) as e:
                out.append(f"{type(e).__name__}: {e}")
        m.register_buffer("running", L.zeros(2))
        m.running = L.ones(2)  # assigning a tensor to a buffer's name updates the buffer
        try:
            m.running = 3
        except TypeError as e:
            out.append(str(e))
        return out + [list(m.state_dict()), m.running.tolist()]
    assert run(fg) == run(torch)


def test_a_name_is_registered_again_only_as_its_own_kind_as_torch():
    def run(L):
        m = L.nn.Linear(2, 2)
        m.sub = L.nn.ReLU()
        m.register_buffer("buf", L.zeros(1))
        out = []
        for register in (lambda: m.register_buffer("weight", L.zeros(1)),
                         lambda: m.register_parameter("weight", L.nn.Parameter(L.zeros(1))),
                         lambda: m.add_module("weight", L.nn.ReLU()),
                         lambda: m.register_parameter("sub", None),
                         lambda: m.add_module("sub", L.nn.Tanh()),
                         lambda: m.register_parameter("buf", None),
                         lambda: m.register_buffer("buf", L.ones(1))):
            try:
                register()
                out.append("registered")
            except KeyError as e:
                out.append(str(e))
        return out + [list(m.state_dict()), repr(m.sub)]
    assert run(fg) == run(torch)


def test_factory_arguments_of_layers_as_torch():
    def run(L):
        L.manual_seed(0)
        makers = (lambda **kw: L.nn.Linear(3, 2, **kw), lambda **kw: L.nn.PReLU(2, **kw))
        kwargs = ({"dtype": L.float64}, {"device": "cpu"},
                  {"device": L.device("cpu"), "dtype": L.float64})
        return [(repr(p.dtype), p.tolist()) for make in makers for kw in kwargs
                for p in make(**kw).parameters()]
    assert run(fg) == run(torch)


def test_hooks_apply_and_requires_grad_match_torch():
    def run(L):
        seq = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.ReLU())
        seen = []
        pre = seq.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        seq.register_forward_hook(lambda m, args, out: out + 1)
        seq[0].register_forward_hook(lambda m, args, out: seen.append(tuple(out.shape)))
        with L.no_grad():
            seq[0].weight.copy_(L.tensor([[1.0, -1.0], [0.5, 0.5]]))
            seq[0].bias.zero_()
        first = seq(L.ones(1, 2)).tolist()
        pre.remove()
        second = seq(L.ones(1, 2)).tolist()
        names = []
        seq.apply(lambda m: names.append(type(m).__name__))
        seq.requires_grad_(False)
        return [first, second, seen, names, [p.requires_grad for p in seq.parameters()]]
    assert run(fg) == run(torch)


def test_to_dtype_converts_floating_parameters_and_buffers_in_place():
    def run(L):
        m = L.nn.Linear(2, 2)
        m.register_buffer("count", L.tensor([1, 2]))
        m.register_buffer("scale", L.ones(2))
        weight = m.weight
        out = [m.to(L.float64) is m, m.weight is weight, repr(m.weight.dtype),
               repr(m.count.dtype), repr(m.scale.dtype), m.weight.requires_grad]
        m.half()
        out.append(repr(m.bias.dtype))
        m.float()
        out.append(repr(m.scale.dtype))
        try:
            m.to(L.int64)
        except TypeError as e:
            out.append(str(e))
        return out
    assert run(fg) == run(torch)


def test_containers_index_number_and_print_as_torch():
    def run(L):
        nn = L.nn
        seq = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3))
        seq.append(nn.Tanh())
        seq.insert(1, nn.Sigmoid())
        popped = seq.pop(0)
        del seq[1]
        out = [repr(seq), repr(seq[1:]), type(seq[1:]).__name__, repr(popped), len(seq)]
        seq[0] = nn.Linear(5, 5)
        out += [repr(seq), repr(seq + nn.Sequential(nn.ReLU()))]
        named = nn.Sequential(collections.OrderedDict([("fc", nn.Linear(1, 1)),
                                                       ("act", nn.ReLU())]))
        out += [repr(named[-1]), repr(named), repr(named[:1])]
        lst = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU()])
        lst += [nn.Tanh()]
        out += [repr(lst), repr(lst[1:3]), repr(lst[-1]), len(lst)]
        del lst[0]
        out += [repr(lst), [n for n, _ in lst.named_children()]]
        d = nn.ModuleDict([("b", nn.ReLU()), ("a", nn.Tanh())])
        d["c"] = nn.Sigmoid()
        out += [repr(d), list(d), list(d.keys()), "a" in d, repr(d.pop("b")), len(d)]
        params = nn.ParameterList([nn.Parameter(L.ones(2, 3)), L.zeros(4, dtype=L.float64)])
        params.append(L.ones(1))
        out += [repr(params), len(params), type(params[1]).__name__, params[1].requires_grad,
                repr(nn.ParameterList([L.ones(2)])), repr(nn.ModuleList())]
        for bad in (lambda: seq[9], lambda: lst[-9], lambda: params[3]):
            try:
                bad()
            except IndexError as e:
                out.append(str(e))
        return out
    ours, theirs = run(fg), run(torch)
    for a, b in zip(ours, theirs, strict=True):
        assert a == b


def test_parameter_dict_as_torch():
    def run(L):
        nn = L.nn
        d = nn.ParameterDict({"w": nn.Parameter(L.ones(2)), "b": L.zeros(2, 3)})
        d["c"] = L.ones(1, dtype=L.float64)
        d.update(collections.OrderedDict([("z", L.ones(1)), ("a", L.ones(2))]))
        out = [repr(d), list(d), type(d["b"]).__name__, d["b"].requires_grad, len(d), "w" in d,
               repr(d.pop("c")), [k for k, _ in d.items()], repr(nn.ParameterDict())]
        holder = nn.Module()
        holder.p = nn.ParameterDict({"a": nn.Parameter(L.ones(1))})
        return out + [repr(holder), list(holder.state_dict()), len(list(holder.parameters()))]
    assert run(fg) == run(torch)


def test_get_parameter_and_get_buffer_as_torch():
    def run(L):
        net = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2))
        out = [tuple(net.get_parameter("0.weight").shape),
               tuple(net.get_buffer("1.running_mean").shape)]
        for get in (net.get_parameter, net.get_buffer):
            for target in ("0.weight", "1.running_var", "1.nothing", "2.weight", "0"):
                try:
                    out.append(tuple(get(target).shape))
                except AttributeError as e:
                    out.append(str(e))
        return out
    assert run(fg) == run(torch)


def test_parameter_prints_as_torch():
    for value in ([1.0, 2.0], 3.0):
        ours, theirs = fg.nn.Parameter(fg.tensor(value)), torch.nn.Parameter(torch.tensor(value))
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
        assert str(ours).startswith("Parameter containing:\n")


def test_uninitialized_tensors_print_as_torch():
    for L in (fg, torch):
        assert str(L.nn.LazyLinear(3).weight) == repr(L.nn.LazyLinear(3).bias)
    for make in (lambda L: L.nn.LazyLinear(3).weight, lambda L: L.nn.UninitializedBuffer()):
        ours, theirs = make(fg), make(torch)
        assert (str(ours), repr(ours)) == (str(theirs), repr(theirs))
