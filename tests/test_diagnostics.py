"""diagnose and Watchdog: deliberately broken trainings get the right finding; healthy ones none."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet import callbacks
from glassnet.cli import main
from glassnet.diagnostics import (
    HISTORY_POINTS,
    RATE_TOO_HIGH,
    Finding,
    TrainingWarning,
    Watchdog,
    coherent,
    diagnose,
    loss_findings,
    loss_record,
    rise_findings,
    stored_losses,
)
from glassnet.errors import GlassnetError


@pytest.fixture(scope="module")
def spirals() -> tuple[np.ndarray, np.ndarray]:
    return gn.datasets.make_spirals(200, seed=0)


@pytest.fixture(scope="module")
def regression() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(100, 3))
    return X, X @ np.array([1.0, 2.0, 3.0])


def _tanh_net(n_in: int, n_out: int) -> gn.Sequential:
    return gn.Sequential([gn.Dense(n_in, 8, rng=0), gn.Tanh(), gn.Dense(8, n_out, rng=1)])


def test_huge_learning_rate_is_found_as_divergence_with_a_learning_rate_hint(regression):
    X, y = regression
    net = _tanh_net(3, 1)
    history = net.fit(
        X, y, loss="mse", optimizer=gn.SGD(3.0), epochs=4
    )  # 8e4-fold: below fit's 1e6 stop
    d = diagnose(net, X, y, history=history)
    divergence = next(f for f in d.findings if f.code == "divergence")
    assert "loss rose" in divergence.message and "in 3 epochs" in divergence.message
    assert "learning rate is probably too high" in divergence.hint
    assert "large_updates" in d.codes


def test_a_non_finite_loss_is_divergence():
    findings = loss_findings([1.0, 5.0, float("inf")])
    assert [f.code for f in findings] == ["divergence"]
    assert "inf at epoch 3" in findings[0].message


def test_all_negative_bias_relu_is_found_as_dead_units(spirals):
    X, y = spirals
    net = gn.Sequential([gn.Dense(2, 16, rng=0), gn.ReLU(), gn.Dense(16, 2, rng=1)])
    net.layers[0].params["bias"][:] = -10.0
    history = net.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.01), epochs=15)
    d = diagnose(net, X, y, history=history)
    dead = next(f for f in d.findings if f.code == "dead_relu")
    assert dead.layer == 1 and dead.value == 1.0
    assert "16 of 16 units" in dead.message and "LeakyReLU" in dead.hint
    assert d.layers[1].dead == 1.0
    assert d.layers[0].gradient_norm == 0.0


def test_huge_weights_sigmoid_is_found_as_saturation(spirals):
    X, y = spirals
    net = gn.Sequential([gn.Dense(2, 16, rng=0), gn.Sigmoid(), gn.Dense(16, 2, rng=1)])
    net.layers[0].params["weight"] *= 300.0
    net.fit(X, y, loss="cross_entropy", optimizer=gn.Adam(0.01), epochs=5)
    d = diagnose(net, X, y)
    saturation = next(f for f in d.findings if f.code == "saturation")
    assert saturation.layer == 1 and saturation.value > 0.8
    assert "standardise the inputs" in saturation.hint


def test_tiny_learning_rate_is_found_as_a_plateau_with_small_updates(spirals):
    X, y = spirals
    net = _tanh_net(2, 2)
    history = net.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(1e-6), epochs=20)
    d = diagnose(net, X, y, history=history)
    assert d.codes[0] == "plateau"
    assert "learning rate is probably too low" in d.findings[0].hint
    assert "small_updates" in d.codes
    assert "divergence" not in d.codes


@pytest.mark.parametrize("case", ["xor", "tutorial", "spirals"])
def test_a_healthy_training_has_no_findings(case, spirals):
    if case == "xor":
        X, y = gn.datasets.xor()
        net = gn.Sequential(
            [gn.Dense(2, 4, rng=1, init="uniform"), gn.Sigmoid(),
             gn.Dense(4, 1, rng=2, init="uniform"), gn.Sigmoid()]
        )  # fmt: skip
        fit = {"loss": gn.SumSquaredError(), "optimizer": gn.SGD(1.0), "epochs": 3000}
    elif case == "tutorial":
        nn = gn.NeuralNetwork()
        net, (X, y) = nn.model, gn.datasets.tutorial()
        fit = {"loss": nn.loss, "optimizer": nn.optimizer, "epochs": 3000}
    else:
        X, y = spirals
        net = gn.Sequential(
            [gn.Dense(2, 32, rng=0, init="he_uniform"), gn.ReLU(),
             gn.Dense(32, 32, rng=1, init="he_uniform"), gn.ReLU(), gn.Dense(32, 2, rng=2)]
        )  # fmt: skip
        fit = {"loss": "cross_entropy", "optimizer": gn.Adam(0.01), "epochs": 60,
               "batch_size": 32, "seed": 0}  # fmt: skip
    watchdog = Watchdog()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any TrainingWarning fails the test
        history = net.fit(X, y, callbacks=[watchdog], **fit)
    d = diagnose(net, X, y, history=history)
    assert d.findings == [], str(d)
    assert watchdog.warned == []
    assert d.ok and "no problems found" in str(d)


def test_diagnose_leaves_the_model_and_its_optimizer_untouched(spirals):
    X, y = spirals
    net = _tanh_net(2, 2)
    net.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=2)
    weights, iterations = net.get_weights(), net.optimizer.iterations
    d = diagnose(net, X, y)
    for a, b in zip(net.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert net.optimizer.iterations == iterations
    assert d.n_samples == 200 and np.isfinite(d.loss)
    assert [r.kind for r in d.layers] == ["Dense", "Tanh", "Dense"]
    assert d.layers[0].update_ratio > 0


def test_diagnose_uses_a_random_subset_of_large_data(spirals):
    X, y = spirals
    net = _tanh_net(2, 2)
    net.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=1)
    assert diagnose(net, X, y, max_samples=50).n_samples == 50


def test_diagnosis_to_dict_is_json_ready(spirals):
    X, y = spirals
    net = gn.Sequential([gn.Dense(2, 4, rng=0), gn.ReLU(), gn.Dense(4, 2, rng=1)])
    net.layers[0].params["bias"][:] = -10.0
    net.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=1)
    data = json.loads(json.dumps(diagnose(net, X, y).to_dict(), allow_nan=False))
    assert data["ok"] is False
    assert data["findings"][0]["code"] == "dead_relu"
    assert data["layers"][0]["mean"] is None  # Dense layers have no activation statistics


def test_diagnose_needs_a_loss():
    net = gn.Sequential([gn.Dense(2, 1)])
    with pytest.raises(GlassnetError, match="diagnose needs a loss"):
        diagnose(net, np.zeros((2, 2)), np.zeros(2))


def test_watchdog_warns_once_during_fit_when_the_learning_rate_is_too_high(regression):
    X, y = regression
    net = _tanh_net(3, 1)
    watchdog = Watchdog()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        net.fit(X, y, loss="mse", optimizer=gn.SGD(3.0), epochs=4, callbacks=[watchdog])
    assert all(w.category is TrainingWarning for w in record)
    divergence = [w for w in record if "loss rose" in str(w.message)]
    assert "learning rate is probably too high" in str(divergence[0].message)
    assert len(divergence) == 1  # once per fit, not every epoch
    assert str(divergence[0].message).startswith("epoch ")
    assert any(f.code == "divergence" for f in watchdog.warned)


def test_watchdog_warns_about_dead_relus_at_the_first_epoch(spirals):
    X, y = spirals
    net = gn.Sequential([gn.Dense(2, 8, rng=0), gn.ReLU(), gn.Dense(8, 2, rng=1)])
    net.layers[0].params["bias"][:] = -10.0
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        net.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=3, callbacks=[Watchdog()])
    messages = [str(w.message) for w in record if w.category is TrainingWarning]
    assert messages[0].startswith("epoch 1: 8 of 8 units of layer 2 (ReLU) output 0")


def test_watchdog_costs_nothing_per_batch():
    # it only overrides on_epoch_end, so the fit loop never calls it inside the batch loop
    assert not callbacks.overrides(Watchdog(), "on_batch_end")


# ---------------------------------------------------------------- the diagnose command


def _write_csv(path, X, y):
    rows = ["x1,x2,class"] + [f"{a!r},{b!r},{c}" for (a, b), c in zip(X.tolist(), y.tolist())]
    path.write_text("\n".join(rows) + "\n")


def test_diagnose_command_finds_nothing_wrong_with_a_healthy_model(tmp_path, capsys, spirals):
    from glassnet.cli import main

    data = tmp_path / "spirals.csv"
    _write_csv(data, *spirals)
    model = tmp_path / "m.npz"
    assert main(["train", str(data), "--target", "class", "-o", str(model), "--hidden", "16",
                 "--epochs", "30", "--quiet", "--seed", "0"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["diagnose", str(model), str(data)]) == 0
    out = capsys.readouterr().out
    assert "no problems found" in out and "|dL/dW|" in out


def test_diagnose_command_probe_finds_a_too_small_learning_rate_as_json(tmp_path, capsys,
                                                                        spirals):  # fmt: skip
    from glassnet.cli import main

    data = tmp_path / "spirals.csv"
    _write_csv(data, *spirals)
    model = tmp_path / "slow.npz"
    assert main(["train", str(data), "--target", "class", "-o", str(model), "--hidden", "8",
                 "--epochs", "2", "--optimizer", "sgd", "--learning-rate", "1e-7",
                 "--quiet"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["diagnose", str(model), str(data), "--epochs", "12", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    codes = [f["code"] for f in report["findings"]]
    assert report["ok"] is False and codes[0] == "plateau" and "small_updates" in codes
    assert "12 probe epochs" in report["findings"][0]["message"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["m.npz"], "required"),
        (["m.npz", "data.csv", "--epochs", "-1"], "non-negative integer"),
        (["nothere.npz", "data.csv"], "nothere.npz"),
        (["-", "-"], "cannot both be '-'"),
    ],
)
def test_diagnose_command_fails_in_one_line_on_bad_input(args, needle, capsys, tmp_path,
                                                         monkeypatch):  # fmt: skip
    from glassnet.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("x1,x2,class\n0,1,0\n1,0,1\n")
    assert main(["diagnose", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err


# --- the loss curve a model file keeps, and advice that never contradicts itself -----------------


@given(n=st.integers(1, 5000))
@settings(max_examples=60, deadline=None)
def test_a_loss_record_keeps_at_most_1000_epochs_with_the_first_and_last(n):
    record = loss_record([1.0 / (i + 1) for i in range(n)])
    assert len(record["epoch"]) == len(record["loss"]) <= HISTORY_POINTS
    assert record["epoch"][0] == 1 and record["epoch"][-1] == n
    assert record["epoch"] == sorted(set(record["epoch"]))
    json.dumps(record, allow_nan=False)


def _with_curve(net: gn.Sequential, losses: list[float]) -> gn.Sequential:
    net.metadata["training"] = {"history": loss_record(losses)}
    return net


def test_diagnose_judges_the_loss_curve_stored_in_the_model(regression, tmp_path):
    # a model that trained to a bad state carries its curve: diagnose sees the rise from the file
    X, y = regression
    net = _tanh_net(3, 1)
    net.fit(X, y, loss="mse", optimizer=gn.Adam(1e-3), epochs=2)
    curve = [1.0] * 3000 + [1.0 * 3**k for k in range(1, 8)]  # epochs 3001.. rise 3× an epoch
    _with_curve(net, curve).save(tmp_path / "m.npz")
    d = diagnose(gn.load(tmp_path / "m.npz"), X, y)
    rise = next(f for f in d.findings if f.code == "divergence")
    assert "learning rate is probably too high" in rise.hint
    assert "epoch 3001" in rise.message or "→ 3007" in rise.message, rise.message


def test_a_plateau_is_found_in_the_stored_curve():
    X, y = gn.datasets.xor()
    net = _tanh_net(2, 1)
    net.fit(X, y, loss="mse", optimizer=gn.SGD(1e-9), epochs=2)
    d = diagnose(_with_curve(net, [0.5] * 50), X, y)
    assert d.codes[0] == "plateau" and "in 50 epochs" in d.findings[0].message


@pytest.mark.parametrize(
    "record",
    [
        {"epoch": [1, 2], "loss": [1.0]},
        {"epoch": [2, 1], "loss": [1.0, 2.0]},
        {"epoch": [0, 1], "loss": [1.0, 2.0]},
        {"epoch": [1, 2], "loss": ["1", 2.0]},
        {"epoch": [1, True], "loss": [1.0, 2.0]},
        {"epoch": list(range(1, 2002)), "loss": [1.0] * 2001},
        {"epoch": [], "loss": []},
        [1.0, 2.0],
        "rising",
    ],
)
def test_a_stored_curve_that_is_not_one_is_ignored(record):
    net = _tanh_net(2, 1)
    net.metadata["training"] = {"history": record}
    assert stored_losses(net) is None


def test_a_stored_curve_reads_back_with_none_as_infinity():
    net = _tanh_net(2, 1)
    net.metadata["training"] = {"history": loss_record([1.0, 2.0, float("inf")])}
    assert stored_losses(net) == ([1.0, 2.0, float("inf")], [1, 2, 3])


def _finding(code: str) -> Finding:
    """A finding of this code with the hint the checks give it."""
    hints = {
        "divergence": rise_findings([1.0, 100.0])[0].hint,
        "plateau": loss_findings([1.0] * 20)[0].hint,
        "large_updates": "the learning rate is probably too high: try one 10× smaller",
        "small_updates": "the learning rate is probably too low: try one 10× or 100× larger",
        "exploding_gradient": "lower the learning rate, standardise the inputs, or clip",
        "dead_relu": "lower the learning rate, start biases at 0 with He initialisation",
        "saturation": "standardise the inputs",
        "vanishing_gradient": "use ReLU with He initialisation",
    }
    return Finding(code, f"measured {code}", hints[code])


CODES = ["divergence", "plateau", "large_updates", "small_updates", "exploding_gradient",
         "dead_relu", "saturation", "vanishing_gradient"]  # fmt: skip


@given(codes=st.lists(st.sampled_from(CODES), max_size=6))
def test_no_finding_says_the_learning_rate_is_too_low_beside_one_saying_too_high(codes):
    findings = coherent([_finding(c) for c in codes])
    assert [f.code for f in findings] == codes  # the measurements all stay
    raise_it = [f for f in findings if "too low" in f.hint or "larger" in f.hint]
    if any(c in RATE_TOO_HIGH for c in codes):
        assert raise_it == []
    else:
        assert len(raise_it) == sum(c in ("plateau", "small_updates") for c in codes)


def test_dead_relus_on_a_plateau_get_one_piece_of_advice(spirals):
    # the plateau said "the learning rate is probably too low" beside "lower the learning rate"
    X, y = spirals
    net = gn.Sequential([gn.Dense(2, 16, rng=0), gn.ReLU(), gn.Dense(16, 2, rng=1)])
    net.layers[0].params["bias"][:] = -10.0
    history = net.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(1e-7), epochs=15)
    d = diagnose(net, X, y, history=history)
    assert {"plateau", "dead_relu"} <= set(d.codes)
    assert not any("too low" in f.hint or "larger" in f.hint for f in d.findings), d


def test_train_command_stores_the_curve_that_diagnose_reads(tmp_path, capsys, spirals):
    X, y = spirals
    csv = tmp_path / "s.csv"
    csv.write_text("a,b,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y)))
    model = tmp_path / "m.npz"
    args = ["train", csv, "--target", "label", "-o", model, "--hidden", "4", "--epochs", "7", "-q"]
    assert main([str(a) for a in args]) == 0
    loaded = gn.load(model)
    record = loaded.metadata["training"]["history"]
    assert record["epoch"] == list(range(1, 8)) and len(record["loss"]) == 7
    # a training gone bad, written into the file: diagnose says so, and only "lower it"
    bad = [0.5, 0.4, 0.3, 3.0, 30.0, 40.0, 50.0]
    loaded.metadata["training"]["history"] = loss_record(bad)
    loaded.save(model)
    capsys.readouterr()
    assert main(["diagnose", str(model), str(csv), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings[0]["code"] == "divergence" and "(epoch 3 → 6)" in findings[0]["message"]
    assert not any("too low" in f["hint"] for f in findings)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_samples": 0}, "max_samples must be a positive integer, got 0"),
        ({"max_samples": 2.5}, "max_samples must be a positive integer"),
        ({"seed": -1}, "seed must be a seed"),
        ({"seed": "x"}, "seed must be a seed"),
        ({"epochs": -1}, "epochs must be an integer >= 0"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_diagnose_refuses_bad_arguments_by_name(kwargs: dict, message: str) -> None:
    X = np.random.default_rng(0).normal(size=(10, 3))
    net = _tanh_net(3, 1)
    with pytest.raises(GlassnetError, match=message):
        diagnose(net, X, X.sum(axis=1), loss="mse", **kwargs)


@pytest.mark.parametrize("history", [3, "x", [[1.0]], ["a"], object()])
def test_diagnose_refuses_a_history_that_is_no_loss_curve(history: object) -> None:
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(GlassnetError, match="history must be a History, a Trace or a list"):
        diagnose(_tanh_net(3, 1), X, X.sum(axis=1), loss="mse", history=history)
