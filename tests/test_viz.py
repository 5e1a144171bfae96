"""fastgrad.viz: the DOT text of a graph (one box per op with its output's shape and dtype, one
per leaf, an arrow per use of an input), and rendering it with Graphviz's `dot`."""
import re
import shutil

import pytest

import fastgrad as fg
from fastgrad import nn, viz


def parse(dot):
    """{id: label} of the boxes and the list of (from, to) edges of DOT text."""
    labels = dict(re.findall(r'^\s*(n\d+) \[label="([^"]*)"', dot, re.M))
    edges = re.findall(r"^\s*(n\d+) -> (n\d+);", dot, re.M)
    return labels, edges


def test_dot_of_the_autograd_example():
    x = fg.arange(4.0, requires_grad=True)
    y = 2 * fg.dot(x, x)
    dot = viz.to_dot(y)
    assert dot.startswith("digraph {") and dot.rstrip().endswith("}")
    labels, edges = parse(dot)
    by_label = {label: node for node, label in labels.items()}
    assert set(by_label) == {r"MulBackward0\n() float32", r"DotBackward0\n() float32",
                             r"leaf\n(4) float32"}
    mul, dot_op, leaf = (by_label[k] for k in (r"MulBackward0\n() float32",
                                               r"DotBackward0\n() float32", r"leaf\n(4) float32"))
    assert sorted(edges) == sorted([(leaf, dot_op), (leaf, dot_op), (dot_op, mul)])
    assert re.search(rf"{leaf} \[.*fillcolor=lightblue", dot)  # leaves are marked


def test_dot_shapes_dtypes_and_parameter_names():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    x = fg.ones(5, 3)
    out = model(x).sum()
    labels, edges = parse(viz.to_dot(out, params=dict(model.named_parameters())))
    values = set(labels.values())
    assert r"0.weight\n(2, 3) float32" in values and r"0.bias\n(2) float32" in values
    assert r"TanhBackward0\n(5, 2) float32" in values
    assert r"SumBackward0\n() float32" in values
    # every edge joins two declared boxes, and the input x (no grad) has none
    assert all(a in labels and b in labels for a, b in edges)
    assert len([v for v in values if v.startswith(("0.", "leaf"))]) == 2
    assert viz.to_dot(x).count("[label=") == 0  # no graph behind a tensor without grad


def test_dot_of_a_leaf_and_of_a_deep_graph():
    x = fg.tensor([1.0, 2.0], requires_grad=True)
    assert list(parse(viz.to_dot(x))[0].values()) == [r"leaf\n(2) float32"]
    z = fg.ones(2, 3, dtype=fg.float64, requires_grad=True).exp()
    assert sorted(parse(viz.to_dot(z))[0].values()) == [r"ExpBackward0\n(2, 3) float64",
                                                         r"leaf\n(2, 3) float64"]
    y = x
    for _ in range(5000):  # deeper than Python's recursion limit
        y = y * 1.0
    labels, edges = parse(viz.to_dot(y))
    assert len(labels) == 5001 and len(edges) == 5000


def test_render_without_dot_names_the_missing_program(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    x = fg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"`dot`.*apt install graphviz.*brew install graphviz"):
        viz.render(x * 2, tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


def test_render_needs_a_suffix(tmp_path):
    x = fg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="suffix"):
        viz.render(x * 2, tmp_path / "graph")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_writes_svg_and_png(tmp_path):
    x = fg.arange(4.0, requires_grad=True)
    y = 2 * fg.dot(x, x)
    svg = viz.render(y, tmp_path / "graph.svg")
    text = svg.read_text()
    assert "<svg" in text and "MulBackward0" in text and "DotBackward0" in text
    png = viz.render(y, str(tmp_path / "graph.png"))
    assert png.read_bytes().startswith(b"\x89PNG")
