"""Drawing the graph behind a tensor: `to_dot(t)` gives Graphviz DOT text with one box per op
(its grad_fn name, output shape and dtype) and one per leaf that requires grad, an arrow from
each input to the op that used it; `render(t, "graph.svg")` runs Graphviz's `dot` on it."""
import pathlib
import shutil
import subprocess

from ._autograd import Node

__all__ = ["render", "to_dot"]

_INSTALL = ("apt install graphviz, brew install graphviz or conda install graphviz; "
            "to_dot() gives the DOT text without it")


def _shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _walk(t):
    """Every node reachable from t's node with its output's (shape, dtype), and the edges (input,
    node), without recursion. A node's output meta is what its first consumer recorded of its
    input (nodes keep no record of their output); the root's is t's own."""
    root = t._node
    meta = {root: (t._a.shape, t.dtype)}
    edges = []
    stack = [root]
    while stack:
        node = stack.pop()
        for parent, input_meta in zip(node.parents, node.input_meta):
            if parent is None:
                continue
            edges.append((parent, node))
            if isinstance(parent, Node) and parent not in meta:
                meta[parent] = input_meta
                stack.append(parent)
    return meta, edges


def to_dot(t, params=None):
    """The DOT text of the graph that produced t. `params` ({name: tensor}, such as
    `dict(model.named_parameters())`) names the leaves it contains."""
    names = {id(p): name for name, p in (params or {}).items()}
    lines = ["digraph {",
             '    node [shape=box, style="rounded,filled", fontname=monospace, fontsize=11];']
    ids = {}

    def node_id(obj):
        return ids.setdefault(id(obj), f"n{len(ids)}")

    def leaf(tensor):
        label = f"{names.get(id(tensor), 'leaf')}\n{_shape(tensor.shape)} {tensor.dtype.name}"
        lines.append(f"    {node_id(tensor)} [label={_quote(label)}, fillcolor=lightblue];")

    if t._node is None:
        if t.requires_grad:
            leaf(t)
        return "\n".join(lines + ["}"]) + "\n"
    meta, edges = _walk(t)
    for node, (shape, dtype) in meta.items():
        color = "darkolivegreen1" if node is t._node else "lightgrey"
        label = f"{node.name()}\n{_shape(shape)} {dtype.name}"
        lines.append(f"    {node_id(node)} [label={_quote(label)}, fillcolor={color}];")
    leaves = {id(p): p for p, _ in edges if not isinstance(p, Node)}
    for tensor in leaves.values():
        leaf(tensor)
    lines += [f"    {node_id(src)} -> {node_id(dst)};" for src, dst in edges]
    return "\n".join(lines + ["}"]) + "\n"


def render(t, path, params=None):
    """Draws the graph of t into `path`, in the format its suffix names (.svg, .png, .pdf, ...),
    with Graphviz's `dot` program. Returns the path."""
    path = pathlib.Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"render(): cannot tell the image format of {str(path)!r}: give the file "
                         f"a suffix such as .svg or .png")
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(f"render(): Graphviz's `dot` program was not found on PATH; install "
                           f"Graphviz ({_INSTALL})")
    done = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=to_dot(t, params),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"render(): dot -T{fmt} failed: {done.stderr.strip()}")
    return path
