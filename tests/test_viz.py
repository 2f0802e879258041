"""ember.autograd.viz.to_dot: DOT text of the backward graph in torchviz's style, compared with torchviz's
make_dot on the same model built with real torch; and the real torchviz drawing an ember graph under
`python -m ember run`."""

import collections
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

import ember
from ember.autograd.viz import to_dot

pytestmark = pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NODE = re.compile(r'^\t(\d+) \[label=("(?:[^"\\]|\\.)*"|[^\s\]]+)(?: fillcolor=(\w+))?\]', re.M | re.S)
_EDGE = re.compile(r"^\t(\d+) -> (\d+)(.*)$", re.M)


def parse(source):
    """(Counter of (label, fillcolor) over nodes, number of edges) of DOT text from either library."""
    nodes = collections.Counter()
    for _, label, color in _NODE.findall(source):
        if label.startswith('"'):
            label = label[1:-1].replace("\\n", "\n")
        nodes[(label, color or None)] += 1
    return nodes, len(_EDGE.findall(source))


def build(lib):
    """A small CNN (conv, relu, view, linear, cross-entropy) and its loss, in torch or ember."""
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    x = lib.randn(2, 1, 6, 6)
    loss = F.cross_entropy(model(x), lib.tensor([0, 2]))
    return model, loss


def test_matches_torchviz_structure():
    torchviz = pytest.importorskip("torchviz")
    torch_model, torch_loss = build(torch)
    ember_model, ember_loss = build(ember)
    expected = torchviz.make_dot(torch_loss, params=dict(torch_model.named_parameters())).source
    got = to_dot(ember_loss, params=dict(ember_model.named_parameters()))
    assert str(got) == got.source
    assert parse(got.source) == parse(expected)
    nodes, _ = parse(got.source)
    assert nodes[("AddmmBackward0", None)] == 1 and nodes[("AccumulateGrad", None)] == 4
    assert nodes[("0.weight\n (2, 1, 3, 3)", "lightblue")] == 1
    assert nodes[("\n ()", "darkolivegreen1")] == 1
    assert got.source.startswith("digraph {") and got.source.rstrip().endswith("}")


def test_mlp_and_plain_leaves_match_torchviz():
    torchviz = pytest.importorskip("torchviz")

    def graph(lib):
        w = lib.ones(3, 2, requires_grad=True)
        b = lib.zeros(2, requires_grad=True)
        x = lib.ones(4, 3)
        y = (x @ w + b).tanh() * 2
        return y.sum(), {"w": w, "b": b}

    t_out, t_params = graph(torch)
    e_out, e_params = graph(ember)
    assert parse(to_dot(e_out, params=e_params).source) == parse(torchviz.make_dot(t_out, params=t_params).source)
    # no params: leaves are labelled with their shapes only
    assert parse(to_dot(e_out).source) == parse(torchviz.make_dot(t_out).source)


def test_multiple_outputs_views_and_leaf_outputs():
    torchviz = pytest.importorskip("torchviz")

    def graph(lib):
        a = lib.ones(2, 3, requires_grad=True)
        b = a * 3
        view = b.view(3, 2)  # a view output: its base is drawn dark green with a dotted edge
        return (view, b.sum())

    expected = torchviz.make_dot(graph(torch)).source
    got = to_dot(graph(ember)).source
    assert parse(got) == parse(expected)
    assert "style=dotted" in got and "darkolivegreen3" in got
    leaf = ember.ones(2, requires_grad=True)
    assert parse(to_dot(leaf).source) == (collections.Counter({("\n (2)", "darkolivegreen1"): 1}), 0)


def test_show_saved_and_show_attrs():
    x = ember.ones(2, 3, requires_grad=True)
    y = (x * x).exp().sum()
    plain_nodes, plain_edges = parse(to_dot(y).source)
    saved_nodes, saved_edges = parse(to_dot(y, show_saved=True).source)
    assert any(color == "orange" for _, color in saved_nodes)
    assert saved_edges > plain_edges and "dir=none" in to_dot(y, show_saved=True).source
    with_attrs = to_dot(y, show_attrs=True, max_attr_chars=10).source
    assert "MulBackward0" in with_attrs and "ExpBackward0" in with_attrs


def test_render_needs_graphviz(tmp_path):
    x = ember.ones(2, requires_grad=True)
    graph = to_dot((x * 2).sum())
    have_graphviz = importlib.util.find_spec("graphviz") is not None and shutil.which("dot") is not None
    if not have_graphviz:
        with pytest.raises(RuntimeError, match="install the graphviz package and the Graphviz binaries"):
            graph.render(tmp_path / "g.svg")
        with pytest.raises(RuntimeError, match="pip install graphviz"):
            graph._repr_svg_()
    else:
        path = graph.render(tmp_path / "g", format="svg")
        assert path.endswith("g.svg") and "<svg" in open(path).read()
    dot_path = graph.save(tmp_path / "g.dot")
    assert open(dot_path).read() == graph.source


@pytest.mark.skipif(importlib.util.find_spec("torchviz") is None, reason="torchviz not installed")
@pytest.mark.skipif(not hasattr(ember.autograd, "Variable"), reason="torchviz imports torch.autograd.Variable")
def test_real_torchviz_draws_an_ember_graph(tmp_path):
    script = tmp_path / "draw.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn
        from torchviz import make_dot
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        y = model(torch.randn(2, 3)).sum()
        print(make_dot(y, params=dict(model.named_parameters())).source)
        """))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    nodes, edges = parse(result.stdout)
    assert nodes[("SumBackward0", None)] == 1 and nodes[("AddmmBackward0", None)] == 2
    assert nodes[("TanhBackward0", None)] == 1 and nodes[("AccumulateGrad", None)] == 4
    assert nodes[("0.weight\n (4, 3)", "lightblue")] == 1 and nodes[("2.bias\n (1)", "lightblue")] == 1
    assert edges == 14
