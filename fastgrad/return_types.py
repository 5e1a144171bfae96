"""torch.return_types: the named tuples that max/min with a dim, sort, topk and the like return,
which unpack as tuples, name their fields (.values, .indices) and print as torch's do."""
import collections


def _repr(self):
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{fields})"


def _return_type(name, fields=("values", "indices")):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = __name__
    cls.__repr__ = cls.__str__ = _repr
    cls.n_fields = cls.n_sequence_fields = len(fields)  # as torch's structseq types
    return cls


max = _return_type("max")  # noqa: A001  (torch.return_types.max)
min = _return_type("min")  # noqa: A001
sort = _return_type("sort")
topk = _return_type("topk")
kthvalue = _return_type("kthvalue")
median = _return_type("median")
mode = _return_type("mode")
histogram = _return_type("histogram", ("hist", "bin_edges"))
linalg_qr = _return_type("linalg_qr", ("Q", "R"))  # rnn
