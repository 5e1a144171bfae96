"""AccumulateGrad: what a node's next_functions shows for a leaf that requires grad, as torch's
(tutorials walk loss.grad_fn.next_functions; graph printers find the parameters by .variable).
fastgrad's engine accumulates into leaves itself: these objects only answer questions."""
import weakref

_ACCUMULATORS = weakref.WeakValueDictionary()  # id(leaf) -> its AccumulateGrad, while alive


class AccumulateGrad:
    """The same object for a leaf while it lives, as torch's."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def accumulator(leaf):
    node = _ACCUMULATORS.get(id(leaf))
    if node is None:
        node = _ACCUMULATORS[id(leaf)] = AccumulateGrad(leaf)
    return node
