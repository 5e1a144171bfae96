"""repr(tensor) exactly as PyTorch prints it (its default print options), so that programs
written for torch print the same text. Formatting reads values; it computes nothing."""
import math
import types

_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}
_options = types.SimpleNamespace(sci_mode=None, **_PROFILES["default"])


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """torch.set_printoptions: digits after the point, the element count beyond which a
    tensor is summarized, the items kept at each edge then, the line width, a profile
    ('default', 'short', 'full') setting the four, and scientific notation forced on or off
    (None: chosen by the values). As torch, sci_mode is set by every call."""
    if profile is not None:
        vars(_options).update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(_options, name, value)
    _options.sci_mode = sci_mode


class _Formatter:
    """Chooses one width and style (integer-valued, fixed or scientific) for every element."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not floating:
            self.max_width = max((len(str(v)) for v in values), default=1)
            return
        finite = [v for v in values if math.isfinite(v) and v != 0]
        if not finite:
            return
        magnitudes = [abs(v) for v in finite]
        lo, hi = min(magnitudes), max(magnitudes)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        if _options.sci_mode is not None:
            self.sci_mode = _options.sci_mode
        p = _options.precision
        if self.sci_mode:
            widths = (len(f"{v:.{p}e}") for v in finite)
        elif self.int_mode:
            widths = (len(f"{v:.0f}") + 1 for v in finite)
        else:
            widths = (len(f"{v:.{p}f}") for v in finite)
        self.max_width = max(widths)

    @staticmethod
    def _plain(v):
        return f"{v:.0f}" + ("" if not math.isfinite(v) else ".")

    def format(self, v):
        if not self.floating:
            text = str(v)
        elif self.sci_mode:
            text = f"{v:{self.max_width}.{_options.precision}e}"
        elif self.int_mode:
            text = self._plain(v)
        else:
            text = f"{v:.{_options.precision}f}"
        return " " * (self.max_width - len(text)) + text


def _summarized_values(a, summarize):
    """The values that will be printed (the edges only when the tensor is summarized)."""
    if a.ndim == 0:
        return [a.item()]
    if summarize and a.shape[0] > 2 * _options.edgeitems:
        parts = [a[:_options.edgeitems], a[-_options.edgeitems:]]
    else:
        parts = [a]
    values = []
    for part in parts:
        if part.ndim == 1:
            values.extend(part.tolist())
        else:
            for row in part:
                values.extend(_summarized_values(row, summarize))
    return values


def _vector_str(a, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((_options.linewidth - indent) / element_length)))
    if summarize and a.shape[0] > 2 * _options.edgeitems:
        data = ([fmt.format(v) for v in a[:_options.edgeitems].tolist()] + [" ..."] +
                [fmt.format(v) for v in a[-_options.edgeitems:].tolist()])
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    if summarize and a.shape[0] > 2 * _options.edgeitems:
        slices = ([_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(_options.edgeitems)] + ["..."] +
                  [_tensor_str(a[i], indent + 1, summarize, fmt)
                   for i in range(a.shape[0] - _options.edgeitems, a.shape[0])])
    else:
        slices = [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _options.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t):
    from ._dtype import bool_, default_float, int64

    prefix = "tensor("
    indent = len(prefix)
    a = t._a
    suffixes = []
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        body = "[]"
        implied_dtypes = (default_float,)  # no elements to show that it holds ints or bools
    else:
        summarize = a.size > _options.threshold
        fmt = _Formatter(_summarized_values(a, summarize), t.dtype.is_floating_point)
        body = _tensor_str(a, indent, summarize, fmt)
        implied_dtypes = (default_float, int64, bool_)
    if t.dtype not in implied_dtypes:
        suffixes.append(f"dtype={t.dtype!r}")
    if t._node is not None:
        suffixes.append(f"grad_fn=<{t._node.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
