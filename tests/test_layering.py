"""The house's layering: each module of fastgrad imports only modules below it, so the import
graph has no circle; the one exception is the Tensor's method table, which _tensor imports at
its end (every op takes Tensors). And no module grows past a size a reader can hold."""
import ast
import pathlib

import fastgrad

PACKAGE = pathlib.Path(fastgrad.__file__).parent
# The Tensor's methods call the ops, the engine, creation and printing: imported at the end of
# _tensor.py, after the class exists.
DEFERRED = {("fastgrad._tensor", name) for name in
            ("fastgrad._autograd", "fastgrad._conversion", "fastgrad._creation", "fastgrad._format",
             "fastgrad._legacy", "fastgrad.ops")}


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path):
    """The fastgrad modules a module imports, at any depth of its code."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            if node.module:
                found.add(target)
            for alias in node.names:  # `from . import x` imports the module x
                found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("fastgrad"))
    return found


def graph():
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name} - {
        m for (src, m) in DEFERRED if src == name} for name, path in modules.items()}


def test_the_import_graph_has_no_circle():
    edges = graph()
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycle = path[path.index(nxt):] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])


def test_the_engine_and_forward_mode_state_sit_below_the_op_tables():
    edges = graph()
    for low in ("fastgrad._shape", "fastgrad._dtype", "fastgrad._device", "fastgrad._tensor",
                "fastgrad._kernels", "fastgrad._autograd", "fastgrad._forward_ad"):
        assert not {m for m in edges[low] if m.startswith("fastgrad.ops")}, low
    assert edges["fastgrad._shape"] == set()  # pure shape arithmetic


def test_no_module_is_too_long_to_read():
    long = {module_name(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 600}
    assert not long, long
