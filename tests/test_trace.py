"""Trace records training as arrays; explain shows one iteration with the engine's own numbers."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import callbacks
from glassnet.errors import GlassnetError
from glassnet.explain import explain
from glassnet.trace import Trace
from glassnet.tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork


def _tutorial_by_hand(iterations: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's own loop (its exact code), returning (adjustments of the last step, w)."""
    w = 2 * np.random.RandomState(seed).random_sample((3, 1)) - 1
    adjustments = np.zeros_like(w)
    for _ in range(iterations):
        output = 1 / (1 + np.exp(-np.dot(TRAINING_INPUTS, w)))
        error = TRAINING_OUTPUTS - output
        adjustments = np.dot(TRAINING_INPUTS.T, error * (output * (1 - output)))
        w += adjustments
    return adjustments, w


def _values(explanation, name):
    """The first value called `name` in any step."""
    for step in explanation.steps:
        if name in step.values:
            return step.values[name]
    raise KeyError(name)


# ---------------------------------------------------------------- explain


@pytest.mark.parametrize("iteration", [1, 2, 50])
def test_explained_new_weights_equal_the_tutorial_neurons_after_that_many_iterations(iteration):
    explanation = explain(iteration=iteration)
    nn = NeuralNetwork(seed=1)
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, iteration)
    np.testing.assert_array_equal(explanation.new_weights[0], nn.synaptic_weights)


def test_explained_numbers_equal_the_tutorials_own_code_for_its_first_iteration():
    e = explain()
    adjustments, w = _tutorial_by_hand(1)
    np.testing.assert_array_equal(_values(e, "adjustments"), adjustments)
    np.testing.assert_array_equal(_values(e, "new weights"), w)
    np.testing.assert_allclose(
        _values(e, "weights"), [[-0.16595599], [0.44064899], [-0.99977125]], atol=5e-9
    )
    out = _values(e, "ŷ")
    np.testing.assert_allclose(_values(e, "error"), TRAINING_OUTPUTS - out, rtol=0, atol=0)
    np.testing.assert_array_equal(_values(e, "sigmoid derivative"), out * (1 - out))
    z = _values(e, "z₁")
    np.testing.assert_array_equal(z, TRAINING_INPUTS @ _values(e, "weights"))


def test_explain_of_the_tenth_iteration_starts_from_nine_steps_of_training():
    e = explain(iteration=10)
    _, w9 = _tutorial_by_hand(9)
    np.testing.assert_allclose(_values(e, "weights"), w9, rtol=1e-14)
    assert e.iteration == 10


def test_explain_follows_any_small_network_and_optimizer_exactly_as_fit_does():
    X, y = gn.datasets.xor()
    net = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Tanh(), gn.Dense(3, 1, rng=1), gn.Sigmoid()])
    before = net.get_weights()
    e = explain(net, X, y, loss="mse", optimizer=gn.Adam(0.1), iteration=4)
    reference = copy.deepcopy(net)
    reference.fit(X, y, loss="mse", optimizer=gn.Adam(0.1), epochs=4, shuffle=False)
    for ours, theirs in zip(e.new_weights, reference.parameters(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    # the caller's network was not trained
    for a, b in zip(net.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_explain_uses_the_tutorials_names_only_for_the_tutorials_step():
    nn = NeuralNetwork()
    adam = explain(nn.model, TRAINING_INPUTS, TRAINING_OUTPUTS, loss="sse", optimizer="adam")
    assert "adjustments" not in adam.to_text() and "ΔW₁" in adam.to_text()
    sgd = explain(nn.model, TRAINING_INPUTS, TRAINING_OUTPUTS, loss="sse", optimizer=gn.SGD(1.0))
    assert "error weighted derivative" in sgd.to_text()


def test_explain_shows_every_layer_forward_and_backward_for_a_relu_network():
    X, y = gn.datasets.make_spirals(12, seed=0)
    net = gn.Sequential([gn.Dense(2, 5, rng=0), gn.ReLU(), gn.Dense(5, 2, rng=1)])
    e = explain(net, X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.5))
    phases = [s.phase for s in e.steps]
    assert phases.count("forward") == 4  # inputs and three layers
    assert phases.count("update") == 4  # two weights and two biases
    relu_step = next(s for s in e.steps if "ReLU" in s.title and s.phase == "backward")
    derivative = relu_step.values["relu'(z₁)"]
    assert set(np.unique(derivative)) <= {0.0, 1.0}
    np.testing.assert_array_equal(derivative, (_values(e, "z₁") > 0).astype(float))


def test_explain_json_is_valid_and_holds_every_number():
    e = explain(iteration=3)
    data = json.loads(e.render("json"))
    assert data["iteration"] == 3
    assert data["loss"] == "SumSquaredError()"
    assert len(data["steps"]) == len(e.steps)
    for step, original in zip(data["steps"], e.steps, strict=True):
        assert set(step) >= {"phase", "title", "equation", "values", "shapes"}
        for name, value in original.values.items():
            np.testing.assert_array_equal(np.asarray(step["values"][name]), value)
    np.testing.assert_array_equal(np.asarray(data["new_weights"][0]), e.new_weights[0])


def test_explain_text_and_markdown_show_the_equations_and_the_tutorials_names():
    e = explain()
    text, markdown = e.render("text"), e.render("markdown")
    for needle in ("z₁ = x · W₁", "error = y − ŷ", "sigmoid derivative", "adjustments",
                   "error weighted derivative", "new weights", "0.12025406"):  # fmt: skip
        assert needle in text, needle
        assert needle in markdown, needle
    assert markdown.startswith("# Iteration 1")
    assert str(e) == text


def test_explain_rejects_a_bad_iteration_format_or_missing_data():
    with pytest.raises(GlassnetError, match="iteration must be a positive integer, got 0"):
        explain(iteration=0)
    with pytest.raises(GlassnetError, match="format must be one of"):
        explain().render("html")
    net = gn.Sequential([gn.Dense(2, 1)])
    with pytest.raises(GlassnetError, match="needs the data"):
        explain(net)
    with pytest.raises(GlassnetError, match="loss and an optimizer"):
        explain(net, np.zeros((2, 2)), np.zeros(2))


# ---------------------------------------------------------------- Trace


def test_trace_records_weights_gradients_and_loss_every_n_steps_as_arrays():
    X, y = gn.datasets.xor()
    net = gn.Sequential([gn.Dense(2, 4, rng=0), gn.Sigmoid(), gn.Dense(4, 1, rng=1), gn.Sigmoid()])
    trace = Trace(every=5)
    history = net.fit(X, y, loss="sse", optimizer=gn.SGD(1.0), epochs=20, callbacks=[trace])
    np.testing.assert_array_equal(trace.steps, [5, 10, 15, 20])
    assert trace.weights[0].shape == (4, 2, 4)
    assert trace.weights[2].shape == (4, 4, 1)
    assert trace.biases[0].shape == (4, 4)
    assert trace.gradients[2].shape == (4, 4, 1)
    assert trace.loss.shape == (4,)
    # full batch: each step is an epoch, so the trace's loss is the history's every 5th epoch
    np.testing.assert_allclose(trace.loss, np.asarray(history.loss)[4::5])
    np.testing.assert_array_equal(trace.weights[2][-1], net.layers[2].params["weight"])
    np.testing.assert_array_equal(trace.parameters_at(-1)[0], net.parameters()[0])
    assert len(trace) == 4


def test_trace_gradients_are_the_ones_each_step_used():
    nn = NeuralNetwork()
    trace = Trace()
    nn.model.fit(TRAINING_INPUTS, TRAINING_OUTPUTS, loss=nn.loss, optimizer=nn.optimizer,
                 epochs=3, shuffle=False, callbacks=[trace])  # fmt: skip
    # SGD with η = 1: w_k = w_(k−1) − g_k
    w = np.concatenate([trace.initial[0]["weight"][None], trace.weights[0]])
    np.testing.assert_allclose(w[:-1] - w[1:], trace.gradients[0], rtol=1e-12)
    np.testing.assert_allclose(trace.gradients[0][0], -_tutorial_by_hand(1)[0], rtol=1e-15)


def test_trace_activation_statistics_see_dead_relus_and_saturated_sigmoids():
    X, y = gn.datasets.make_spirals(40, seed=0)
    relu = gn.Dense(2, 8, rng=0)
    relu.params["bias"][:] = -10.0  # every unit below zero for every input: dead
    sig = gn.Dense(2, 6, rng=1)
    sig.params["weight"] *= 500.0  # huge weighted sums: σ pinned at 0 or 1
    net = gn.Sequential([relu, gn.ReLU(), gn.Dense(8, 2, rng=2)])
    trace = Trace(every=2)
    net.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=4, callbacks=[trace])
    stats = trace.activations[1]
    assert set(stats) == {"mean", "std", "zero", "dead", "saturated"}
    np.testing.assert_array_equal(stats["dead"], [1.0, 1.0])
    np.testing.assert_array_equal(stats["zero"], [1.0, 1.0])
    net2 = gn.Sequential([sig, gn.Sigmoid(), gn.Dense(6, 2, rng=2)])
    trace2 = Trace()
    net2.fit(X, y, loss=gn.CrossEntropy(), optimizer=gn.SGD(0.1), epochs=2, callbacks=[trace2])
    assert np.all(trace2.activations[1]["saturated"] > 0.8)
    assert np.all(trace2.activations[1]["dead"] == 0.0)


def test_trace_counts_steps_over_minibatches_and_continues_over_repeated_fits():
    X, y = gn.datasets.make_moons(50, seed=0)
    net = gn.Sequential([gn.Dense(2, 4, rng=0), gn.Tanh(), gn.Dense(4, 2, rng=1)])
    trace = Trace(every=3)
    net.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=10, seed=0,
            callbacks=[trace])  # fmt: skip
    np.testing.assert_array_equal(trace.steps, [3, 6, 9])  # 5 batches per epoch
    net.fit(X, y, epochs=1, batch_size=10, seed=0, callbacks=[trace])
    np.testing.assert_array_equal(trace.steps, [3, 6, 9, 12, 15])
    assert trace.weights[0].shape == (5, 2, 4)


def test_training_without_a_trace_calls_no_batch_hook_and_wraps_no_layer():
    # the fit loop calls on_batch_end only for callbacks that override it
    assert callbacks.overrides(Trace(), "on_batch_end")
    assert not callbacks.overrides(gn.Callback(), "on_batch_end")
    X, y = gn.datasets.xor()
    net = gn.Sequential([gn.Dense(2, 2, rng=0), gn.ReLU(), gn.Dense(2, 1, rng=1)])
    methods = [type(layer).forward for layer in net.layers]
    net.fit(X, y, loss="mse", optimizer="sgd", epochs=2, callbacks=[Trace()])
    # tracing reads the layers' cached outputs: it replaces no method and adds no attribute
    assert [type(layer).forward for layer in net.layers] == methods
    assert all("forward" not in vars(layer) for layer in net.layers)


def test_trace_records_each_of_the_first_steps_then_every_nth():
    X, y = gn.datasets.xor()
    net = gn.Sequential([gn.Dense(2, 1, rng=0), gn.Sigmoid()])
    trace = Trace(every=5, first=5)
    net.fit(X, y, loss="sse", optimizer=gn.SGD(1.0), epochs=21, callbacks=[trace])
    np.testing.assert_array_equal(trace.steps, [1, 2, 3, 4, 5, 10, 15, 20])
    assert trace.weights[0].shape == (8, 2, 1)
    # first > every: the dense start runs on past the first multiples of every
    trace = Trace(every=4, first=6)
    net.fit(X, y, loss="sse", optimizer=gn.SGD(1.0), epochs=12, callbacks=[trace])
    np.testing.assert_array_equal(trace.steps, [1, 2, 3, 4, 5, 6, 8, 12])


def test_trace_rejects_a_bad_every_and_an_empty_record():
    with pytest.raises(GlassnetError, match="every must be a positive integer, got 0"):
        Trace(every=0)
    with pytest.raises(GlassnetError, match="first must be an integer >= 0, got -1"):
        Trace(first=-1)
    with pytest.raises(GlassnetError, match="the trace is empty"):
        Trace().parameters_at(-1)


# ---------------------------------------------------------------- the explain command


def test_explain_command_prints_the_tutorials_first_iteration(capsys):
    from glassnet.cli import main

    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Iteration 1 of Sequential([Dense(n_in=3, n_out=1, bias=False)")
    assert "error weighted derivative" in out and "0.12025406" in out


def test_explain_command_json_of_iteration_n_matches_training_n_iterations(capsys):
    from glassnet.cli import main

    assert main(["explain", "--iteration", "7", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    nn = NeuralNetwork()
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 7)
    np.testing.assert_array_equal(np.asarray(data["new_weights"][0]), nn.synaptic_weights)


def test_explain_command_walks_a_saved_model_on_a_csv(tmp_path, capsys):
    from glassnet.cli import main

    data = tmp_path / "d.csv"
    data.write_text("a,b,label\n0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n")
    model = tmp_path / "m.npz"
    assert main(["train", str(data), "--target", "label", "-o", str(model), "--hidden", "3",
                 "--epochs", "2", "--quiet"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["explain", str(model), str(data), "--rows", "2", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Iteration 1") and "CrossEntropy" in out
    assert "∂L/∂W₂ = a₁ᵀ · ∂L/∂ŷ" in out and "relu'(z₁)" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--iteration", "0"], "expected a positive integer"),
        (["--format", "html"], "invalid choice"),
        (["model.npz"], "MODEL needs DATA"),
        (["--rows", "2"], "--rows and --target need MODEL and DATA"),
        (["missing.npz", "missing.csv"], "missing.npz"),
    ],
)
def test_explain_command_fails_in_one_line_on_bad_input(args, needle, capsys, tmp_path,
                                                        monkeypatch):  # fmt: skip
    from glassnet.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["explain", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err


def test_python_m_glassnet_explain_runs_in_a_subprocess():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "explain", "--iteration", "3", "--seed", "2"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Iteration 3" in result.stdout and result.stderr == ""
