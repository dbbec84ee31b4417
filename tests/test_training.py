"""The fit loop: History, validation, early stopping, callbacks, seeds, dtypes, divergence, and
every bad input at the public boundary."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import DataError, GlassnetError, TrainingDivergedError

MLP = Callable[..., gn.Sequential]


def _regression(n: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = np.sin(X[:, :1]) + 0.5 * X[:, 1:2] * X[:, 2:3]
    return X, y


def _classes(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)


class Recorder(gn.Callback):
    """Records every hook call and a copy of the weights at the end of each epoch."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls: list[str] = []
        self.steps: list[int] = []
        self.weights: list[list[np.ndarray]] = []
        self.logs: list[dict[str, float]] = []
        self.stop_after = stop_after

    def on_train_begin(self, model: gn.Sequential) -> None:
        self.calls.append("begin")

    def on_batch_end(self, step: int, model: gn.Sequential, loss: float) -> None:
        self.steps.append(step)

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: gn.Sequential) -> bool:
        self.calls.append(f"epoch{epoch}")
        self.weights.append(model.get_weights())
        self.logs.append(dict(logs))
        return self.stop_after is not None and epoch + 1 >= self.stop_after

    def on_train_end(self, model: gn.Sequential, history: gn.History) -> None:
        self.calls.append("end")


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


# ------------------------------------------------------------------ History and validation


def test_history_records_one_entry_per_epoch_for_each_quantity(mlp: MLP) -> None:
    X, y = _classes()
    model = mlp((3, 6, 3), "relu")
    val = _classes(12, seed=1)
    history = model.fit(
        X,
        y,
        loss="cross_entropy",
        optimizer=gn.Adam(0.01),
        epochs=4,
        batch_size=8,
        validation_data=val,
        metrics=["accuracy"],
        seed=0,
    )
    assert isinstance(history, gn.History)
    expected = {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "time"}
    assert set(history.history) == expected
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epochs == 4 and history.loss == history["loss"]
    assert history.val_loss == history["val_loss"]
    # the last val_loss and val_accuracy are those of the final model
    final = model.evaluate(*val, metrics=["accuracy"])
    assert history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-12)
    assert history["val_accuracy"][-1] == final["accuracy"]
    assert history["learning_rate"] == [0.01] * 4
    assert model.metadata["training"]["epochs"] == 4


def test_full_batch_history_loss_is_the_loss_before_each_step(mlp: MLP) -> None:
    X, y = _regression()
    model = mlp((3, 5, 1), "tanh")
    before = model.evaluate(X, y, loss="mse")["loss"]
    rec = Recorder()
    history = model.fit(X, y, loss="mse", optimizer=gn.SGD(0.1), epochs=3, callbacks=[rec])
    assert history["loss"][0] == pytest.approx(before, rel=1e-12)
    model.set_weights(rec.weights[0])
    assert history["loss"][1] == pytest.approx(model.evaluate(X, y)["loss"], rel=1e-12)
    assert history["loss"][2] < history["loss"][0]


def test_validation_split_holds_out_samples_that_are_not_trained_on(mlp: MLP) -> None:
    X, y = _regression(8)
    model = mlp((3, 4, 1), "tanh")
    start = model.get_weights()
    history = model.fit(
        X, y, loss="mse", optimizer=gn.SGD(0.5), epochs=1, validation_split=0.25, seed=3
    )
    trained = model.get_weights()
    matches = []
    for held in itertools.combinations(range(8), 2):  # ceil(8 · 0.25) = 2 held out
        rest = [i for i in range(8) if i not in held]
        model.set_weights(start)
        train_loss = model.evaluate(X[rest], y[rest])["loss"]
        model.set_weights(trained)
        val_loss = model.evaluate(X[list(held)], y[list(held)])["loss"]
        if np.isclose(train_loss, history["loss"][0], rtol=1e-12) and np.isclose(
            val_loss, history["val_loss"][0], rtol=1e-12
        ):
            matches.append(held)
    assert len(matches) == 1


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5])
def test_validation_split_outside_zero_to_one_is_rejected(mlp: MLP, split: float) -> None:
    X, y = _regression(8)
    with pytest.raises(GlassnetError, match="validation_split"):
        mlp((3, 1)).fit(X, y, loss="mse", optimizer="sgd", validation_split=split)


def test_validation_split_that_leaves_nothing_to_train_on_is_rejected(mlp: MLP) -> None:
    X, y = _regression(2)
    with pytest.raises(GlassnetError, match="leaves no training samples out of 2"):
        mlp((3, 1)).fit(X, y, loss="mse", optimizer="sgd", validation_split=0.9)


def test_validation_data_is_checked_like_training_data(mlp: MLP) -> None:
    X, y = _regression(8)
    with pytest.raises(
        DataError, match="X_val has 2 features per sample, but the network expects 3"
    ):
        mlp((3, 1)).fit(X, y, loss="mse", optimizer="sgd", validation_data=(X[:, :2], y))
    with pytest.raises(GlassnetError, match="pair"):
        mlp((3, 1)).fit(X, y, loss="mse", optimizer="sgd", validation_data=(X, y, y))  # type: ignore[arg-type]


# ------------------------------------------------------------------ early stopping


def _overfitting_setup(mlp: MLP) -> tuple[gn.Sequential, tuple[Any, ...], tuple[Any, ...]]:
    """Validation targets are the negated training targets: val_loss rises as training learns."""
    X, y = _regression(20)
    model = mlp((3, 8, 1), "tanh", seed=1)
    # the network starts far from both, so val_loss first falls, then rises
    model.dense_layers[-1].params["bias"][...] = 3.0
    return model, (X, y), (X, -y)


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch(mlp: MLP) -> None:
    model, train, val = _overfitting_setup(mlp)
    rec = Recorder()
    stopper = gn.EarlyStopping(patience=3)
    history = model.fit(
        *train,
        loss="mse",
        optimizer=gn.Adam(0.05),
        epochs=200,
        validation_data=val,
        early_stopping=stopper,
        callbacks=[rec],
    )
    best = history.best_epoch
    assert best is not None and best > 0
    assert history.stopped_early
    assert history.epochs == best + 1 + 3 < 200
    assert int(np.argmin(history["val_loss"])) == best
    assert _same(model.get_weights(), rec.weights[best])
    assert not _same(model.get_weights(), rec.weights[-1])
    assert model.evaluate(*val)["loss"] == pytest.approx(history["val_loss"][best], rel=1e-12)
    assert rec.calls[-1] == "end"


def test_early_stopping_without_restoring_keeps_the_last_weights(mlp: MLP) -> None:
    model, train, val = _overfitting_setup(mlp)
    rec = Recorder()
    stopper = gn.EarlyStopping(patience=2, restore_best_weights=False)
    model.fit(
        *train,
        loss="mse",
        optimizer=gn.Adam(0.05),
        epochs=200,
        validation_data=val,
        early_stopping=stopper,
        callbacks=[rec],
    )
    assert _same(model.get_weights(), rec.weights[-1])


def test_min_delta_counts_small_improvements_as_none(mlp: MLP) -> None:
    X, y = _regression()
    model = mlp((3, 6, 1), "tanh")
    rec = Recorder()
    stopper = gn.EarlyStopping(patience=4, min_delta=1e6, monitor="loss")
    history = model.fit(
        X, y, loss="mse", optimizer=gn.SGD(0.05), epochs=50, early_stopping=stopper, callbacks=[rec]
    )
    # the loss falls every epoch, but never by a million: epoch 0 stays the best
    assert np.all(np.diff(history["loss"]) < 0)
    assert history.best_epoch == 0 and history.epochs == 5
    assert _same(model.get_weights(), rec.weights[0])
    # with min_delta 0 the same run keeps improving and never stops
    again = mlp((3, 6, 1), "tanh").fit(
        X,
        y,
        loss="mse",
        optimizer=gn.SGD(0.05),
        epochs=50,
        early_stopping=gn.EarlyStopping(patience=4, min_delta=0),
    )
    assert again.epochs == 50 and not again.stopped_early


def test_integer_early_stopping_is_patience_and_falls_back_to_training_loss(mlp: MLP) -> None:
    X, y = _regression()
    model = mlp((3, 6, 1), "tanh")
    history = model.fit(X, y, loss="mse", optimizer=gn.SGD(5.0), epochs=100, early_stopping=2)
    # SGD with a too-large rate oscillates: training loss stops improving and the loop ends
    assert history.best_epoch is not None
    assert history.epochs <= 100


# ------------------------------------------------------------------ callbacks


def test_callbacks_see_every_step_and_on_epoch_end_returning_true_stops(mlp: MLP) -> None:
    X, y = _regression(10)
    rec = Recorder(stop_after=3)
    history = mlp((3, 4, 1)).fit(
        X, y, loss="mse", optimizer=gn.SGD(0.1), epochs=20, batch_size=4, callbacks=[rec]
    )
    assert history.epochs == 3 and history.stopped_early
    assert rec.calls == ["begin", "epoch0", "epoch1", "epoch2", "end"]
    assert rec.steps == list(range(1, 10))  # 3 epochs × 3 batches (4, 4, 2)
    assert rec.logs[-1]["loss"] == history["loss"][-1]


# ------------------------------------------------------------------ repeatability and dtypes


def _dropout_model(dtype: Any = np.float64) -> gn.Sequential:
    return gn.Sequential(
        [
            gn.Dense(3, 16, rng=0),
            gn.ReLU(),
            gn.Dropout(0.3),
            gn.Dense(16, 8, rng=1),
            gn.Tanh(),
            gn.Dropout(0.2),
            gn.Dense(8, 3, rng=2),
        ],
        dtype=dtype,
    )


def _fit_dropout(seed: int, dtype: Any = np.float64) -> tuple[gn.Sequential, gn.History]:
    X, y = _classes(40)
    model = _dropout_model(dtype)
    history = model.fit(
        X,
        y,
        loss="cross_entropy",
        optimizer=gn.Adam(0.01),
        epochs=5,
        batch_size=7,
        validation_split=0.2,
        metrics=["accuracy"],
        seed=seed,
    )
    return model, history


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_seed_makes_training_repeatable_bit_for_bit(dtype: Any) -> None:
    a, ha = _fit_dropout(7, dtype)
    b, hb = _fit_dropout(7, dtype)
    c, _ = _fit_dropout(8, dtype)
    assert _same(a.get_weights(), b.get_weights())
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert ha[key] == hb[key]
    assert not _same(a.get_weights(), c.get_weights())


class DtypeSpy(gn.Layer):
    """A pass-through layer that records the dtypes flowing forward and backward."""

    kind = "DtypeSpy"

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.seen.add(str(x.dtype))
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        self.seen.add(str(grad.dtype))
        return grad


class GradDtypes(gn.Callback):
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def on_batch_end(self, step: int, model: gn.Sequential, loss: float) -> None:
        self.seen |= {str(a.dtype) for a in model.parameters() + model.gradients()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["mse", "sse", "bce", "cross_entropy"])
@pytest.mark.parametrize("optimizer", ["sgd_nesterov", "adam", "rmsprop"])
def test_training_stays_in_the_model_dtype_end_to_end(
    dtype: Any, loss: str, optimizer: str
) -> None:
    X, labels = _classes(20)  # float64 data: converted once at the boundary
    y: Any = labels if loss == "cross_entropy" else np.eye(3)[labels]
    spies = [DtypeSpy() for _ in range(3)]
    model = gn.Sequential(
        [
            spies[0],
            gn.Dense(3, 5, rng=0),
            gn.Sigmoid(),
            gn.Dropout(0.1),
            spies[1],
            gn.Dense(5, 3, rng=1),
            spies[2],
        ],
        dtype=dtype,
    )
    opt = {
        "sgd_nesterov": gn.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01, clip_norm=1.0),
        "adam": gn.Adam(gn.ExponentialDecay(0.01), weight_decay=0.01),
        "rmsprop": gn.RMSprop(0.01, clip_norm=1.0),
    }[optimizer]
    grads = GradDtypes()
    history = model.fit(
        X,
        y,
        loss=loss,
        optimizer=opt,
        epochs=2,
        batch_size=6,
        validation_split=0.2,
        callbacks=[grads],
        seed=0,
    )
    name = np.dtype(dtype).name
    assert grads.seen == {name}
    for spy in spies:
        assert spy.seen == {name}, spy.seen
    assert {str(a.dtype) for slot in opt.state.values() for a in slot} <= {name}
    assert model.predict(X).dtype == dtype and model.predict_proba(X).dtype == dtype
    assert all(isinstance(v, float) and np.isfinite(v) for v in history["loss"])


# ------------------------------------------------------------------ divergence


@pytest.mark.parametrize("epochs", [1, 2, 30])
def test_divergence_raises_naming_the_epoch_and_leaves_finite_weights(
    mlp: MLP, epochs: int
) -> None:
    X, y = _regression()
    X, y = X * 10, y * 100
    model = mlp((3, 8, 1), "relu")
    start = model.get_weights()
    with pytest.raises(TrainingDivergedError, match=r"diverged at epoch [12]\b") as info:
        model.fit(X, y, loss="mse", optimizer=gn.SGD(1e308), epochs=epochs)
    assert isinstance(info.value, ValueError)
    assert "learning rate" in str(info.value)
    assert all(np.isfinite(p).all() for p in model.parameters())
    assert _same(model.get_weights(), start)


@pytest.mark.parametrize(
    "make",
    [lambda: gn.SGD(0.01, momentum=0.9), lambda: gn.Adam(0.01), lambda: gn.RMSprop(0.01)],
    ids=["sgd_momentum", "adam", "rmsprop"],
)
def test_divergence_restores_the_optimizer_state_too(
    mlp: MLP, make: Callable[[], gn.Optimizer]
) -> None:
    X, y = _regression()
    model = mlp((3, 8, 1), "relu")
    opt = make()
    model.fit(X, y, loss="mse", optimizer=make(), epochs=1)  # something to carry on from
    model.fit(X, y, loss="mse", optimizer=opt, epochs=1)
    before = opt.state_dict()
    assert before["iterations"] == 1
    with pytest.raises(TrainingDivergedError):
        model.fit(X * 1e200, y, epochs=3)  # model.optimizer is opt: its state carries on
    after = opt.state_dict()
    assert after["iterations"] == 1 and after["epoch"] == before["epoch"]
    for slot, arrays in before["slots"].items():
        for a, b in zip(arrays, after["slots"][slot]):
            np.testing.assert_array_equal(a, b)


def test_divergence_in_mini_batches_raises_too(mlp: MLP) -> None:
    X, y = _regression(40)
    model = mlp((3, 8, 1), "tanh")
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        model.fit(X * 1e3, y * 1e154, loss="mse", optimizer=gn.SGD(1e10), epochs=5, batch_size=8)
    assert all(np.isfinite(p).all() for p in model.parameters())


# ------------------------------------------------------------------ schedules in fit


@pytest.mark.parametrize(
    "schedule",
    [
        gn.StepDecay(0.2, step_size=2, gamma=0.5),
        gn.ExponentialDecay(0.2, gamma=0.7),
        gn.InverseScaling(0.2, power=0.5),
    ],
)
def test_schedules_set_the_learning_rate_of_each_epoch(mlp: MLP, schedule: Any) -> None:
    X, y = _regression()
    model = mlp((3, 4, 1), "tanh")
    reference = mlp((3, 4, 1), "tanh")
    history = model.fit(X, y, loss="mse", optimizer=gn.SGD(schedule), epochs=5)
    assert history["learning_rate"] == pytest.approx([schedule(e) for e in range(5)])
    # the steps really used those rates: redo them by hand
    loss = gn.MeanSquaredError()
    for epoch in range(5):
        loss.forward(reference.forward(X, training=True), y)
        reference.backward(loss.backward())
        for p, g in zip(reference.parameters(), reference.gradients()):
            p -= schedule(epoch) * g
    for a, b in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    # a second fit carries on the schedule where the first stopped
    more = model.fit(X, y, epochs=2)
    assert more["learning_rate"] == pytest.approx([schedule(5), schedule(6)])


# ------------------------------------------------------------------ bad input at the boundary


def _bad_calls(model: gn.Sequential) -> dict[str, Callable[[Any, Any], Any]]:
    return {
        "fit": lambda X, y: model.fit(X, y, loss="mse", optimizer="sgd"),
        "evaluate": lambda X, y: model.evaluate(X, y, loss="mse"),
    }


X_OK = np.ones((4, 3))
Y_OK = np.ones((4, 1))
BAD_INPUTS: list[tuple[str, Any, Any, str]] = [
    (
        "nan_in_X",
        np.where(np.eye(4, 3) > 0, np.nan, 1.0),
        Y_OK,
        r"X contains nan at row 0, column 0; expected finite numbers",
    ),
    (
        "inf_in_X",
        np.array([[1, 2, 3], [1, 2, np.inf], [0, 0, 0], [1, 1, 1]]),
        Y_OK,
        r"X contains inf at row 1, column 2; expected finite numbers",
    ),
    (
        "nan_in_y",
        X_OK,
        np.array([[1.0], [np.nan], [0], [1]]),
        r"y contains nan at row 1.*expected finite numbers",
    ),
    ("-inf_in_y", X_OK, np.array([1.0, 0, 0, -np.inf]), r"y contains -inf at row 3"),
    ("features", np.ones((4, 2)), Y_OK, r"X has 2 features per sample, but the network expects 3"),
    ("lengths", np.ones((5, 3)), Y_OK, r"X and y have different lengths: 5 and 4 samples"),
    ("empty", np.ones((0, 3)), np.ones((0, 1)), r"X is empty: got shape \(0, 3\)"),
    ("strings", [["a", "b", "c"]] * 4, Y_OK, r"X must be numeric, got an array of shape \(4, 3\)"),
    (
        "objects",
        np.array([[{}, 1, 2]] * 4, dtype=object),
        Y_OK,
        r"X must be numeric, got an array of shape \(4, 3\) and dtype object",
    ),
    ("string_y", X_OK, np.array(["yes", "no", "yes", "no"]), r"y must be numeric"),
    ("ragged", [[1, 2, 3], [1, 2]], Y_OK, r"X could not be read as an array"),
    ("1d_X", np.ones(3), Y_OK, r"X must be 2-D \(n_samples, n_features\), got 1-D shape \(3,\)"),
    ("complex", X_OK + 1j, Y_OK, r"X must be real, got complex"),
    ("none", None, Y_OK, r"X is None; expected an array of numbers"),
    ("y_columns", X_OK, np.ones((4, 2)), r"y has 2 columns, but the network has 1 outputs"),
    ("3d_y", X_OK, np.ones((4, 1, 1)), r"y must be 1-D or 2-D, got shape \(4, 1, 1\)"),
]


@pytest.mark.parametrize("call", ["fit", "evaluate"])
@pytest.mark.parametrize(("case", "X", "y", "match"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_data_raises_a_glassnet_error_naming_what_was_received(
    mlp: MLP, call: str, case: str, X: Any, y: Any, match: str
) -> None:
    model = mlp((3, 2, 1))
    before = model.get_weights()
    with pytest.raises(DataError, match=match) as info:
        _bad_calls(model)[call](X, y)
    assert isinstance(info.value, GlassnetError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)
    assert _same(model.get_weights(), before)  # nothing was trained


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.ones((2, 4)), r"X has 4 features per sample, but the network expects 3"),
        (np.array([[0.0, np.nan, 1.0]]), r"X contains nan at row 0, column 1"),
        (np.ones((0, 3)), r"X is empty"),
        ([["1", "2", "x"]], r"X must be numeric"),
        (np.ones(3), r"or X.reshape\(1, -1\) for one sample"),
    ],
)
def test_predict_rejects_bad_input_naming_it(mlp: MLP, X: Any, match: str) -> None:
    with pytest.raises(DataError, match=match):
        mlp((3, 2, 1)).predict(X)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (
            np.array([0, 1, 3, 1]),
            r"class labels in \[0, 3\], but the network has 3 outputs, so "
            r"expects labels in \[0, 2\]",
        ),
        (np.array([0, -1, 2, 1]), r"labels in \[-1, 2\]"),
        (np.array([0.0, 0.5, 1.0, 2.0]), r"must be integers; got"),
        (
            np.array([[1.0, 0, 0], [0.5, 0.6, 0], [0, 0, 1], [0, 1, 0]]),
            r"rows must be one-hot or probabilities summing to 1; row 1",
        ),
        (np.array([0, 1]), r"X and y have different lengths: 4 and 2"),
    ],
)
def test_bad_class_labels_raise_naming_the_labels_and_the_expected_range(
    mlp: MLP, y: Any, match: str
) -> None:
    with pytest.raises(DataError, match=match):
        mlp((3, 3)).fit(np.ones((4, 3)), y, loss="cross_entropy", optimizer="sgd")


def test_layers_that_do_not_chain_are_refused_naming_both_sizes() -> None:
    with pytest.raises(
        GlassnetError,
        match=r"layer 2, Dense\(n_in=5.*expects 5 inputs, but the "
        r"layers before it output 4",
    ):
        gn.Sequential([gn.Dense(3, 4), gn.Dense(5, 1)])
    with pytest.raises(GlassnetError, match=r"layer 3.*expects 5 inputs.*output 4"):
        gn.Sequential([gn.Dense(3, 4), gn.ReLU(), gn.Dense(5, 1)])


@pytest.mark.parametrize(
    ("layers", "match"),
    [
        ([], "at least one layer, got none"),
        ([gn.ReLU()], "at least one Dense layer"),
        (["dense"], "layer 1 must be a glassnet Layer, got 'dense'"),
        ([gn.Dense(2, 2, dtype=np.float32), gn.Dense(2, 2)], "share one dtype"),
    ],
)
def test_sequential_rejects_bad_layer_lists(layers: list[Any], match: str) -> None:
    with pytest.raises(GlassnetError, match=match):
        gn.Sequential(layers)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs must be a positive integer, got 0"),
        ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"optimizer": "adagrad"}, "unknown optimizer 'adagrad'"),
        ({"metrics": ["f1"]}, "unknown metric 'f1'"),
        ({"loss": None}, "fit needs a loss"),
        ({"optimizer": None}, "fit needs an optimizer"),
    ],
)
def test_bad_fit_arguments_raise_naming_them(mlp: MLP, kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"loss": "mse", "optimizer": "sgd", **kwargs}
    with pytest.raises(GlassnetError, match=match):
        mlp((3, 1)).fit(X_OK, Y_OK, **args)


def test_float32_model_accepts_float64_and_integer_data_and_predicts_float32(mlp: MLP) -> None:
    model = mlp((3, 4, 1), "tanh", dtype=np.float32)
    model.fit(np.arange(12).reshape(4, 3), [0, 1, 0, 1], loss="mse", optimizer="sgd", epochs=2)
    assert model.predict(np.ones((2, 3))).dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.parameters())


# ------------------------------------------------------------------ metrics


def test_accuracy_after_binary_cross_entropy_thresholds_logits_at_zero() -> None:
    from glassnet import metrics

    logits = np.array([[0.3], [-0.2], [2.0], [-3.0]])  # probabilities 0.57, 0.45, 0.88, 0.05
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    assert metrics.compute("accuracy", y, logits, gn.BinaryCrossEntropy()) == 1.0
    # outputs that are already probabilities (a sigmoid layer with SSE) split at 0.5
    assert metrics.compute("accuracy", y, logits, gn.SumSquaredError()) == 0.75


def test_metrics_accumulated_over_batches_equal_those_over_all_samples(
    rng: np.random.Generator,
) -> None:
    from sklearn.metrics import mean_squared_error, r2_score

    from glassnet import metrics

    y, out = rng.standard_normal((23, 2)), rng.standard_normal((23, 2))
    for name, reference in (("mse", mean_squared_error), ("r2", r2_score)):
        metric = metrics.get(name, gn.MeanSquaredError())
        for start in range(0, 23, 5):
            metric.update(y[start : start + 5], out[start : start + 5])
        assert metric.result() == pytest.approx(reference(y, out), rel=1e-10)


@pytest.mark.parametrize("sizes", [[7] * 40, [3000, 3000, 5], [1, 4096, 2, 9000, 30]])
def test_the_observer_buffers_batches_and_gives_the_metrics_of_all_of_them(
    rng: np.random.Generator, sizes: list[int]
) -> None:
    from sklearn.metrics import accuracy_score, mean_squared_error, r2_score

    from glassnet import metrics

    n = sum(sizes)
    y, out = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    labels = rng.integers(0, 3, n)
    scores = rng.standard_normal((n, 3)).astype(np.float32)  # another dtype and width
    regression = [metrics.get(name, gn.MeanSquaredError()) for name in ("mse", "r2")]
    classes = [metrics.get("accuracy", gn.CrossEntropy())]
    observe, observe_classes = metrics.Observer(regression), metrics.Observer(classes)
    start = 0
    for k in sizes:  # each batch's rows are overwritten after it, as the step's buffers are
        yb, ob = y[start : start + k].copy(), out[start : start + k].copy()
        observe(yb, ob)
        observe_classes(labels[start : start + k], scores[start : start + k])
        yb[:] = ob[:] = np.nan
        start += k
    observe.flush()
    observe_classes.flush()
    assert regression[0].result() == pytest.approx(mean_squared_error(y, out), rel=1e-10)
    assert regression[1].result() == pytest.approx(r2_score(y, out), rel=1e-10)
    assert classes[0].result() == accuracy_score(labels, scores.argmax(axis=1))


def test_an_epochs_training_metrics_count_every_batch_once(rng: np.random.Generator) -> None:
    X = rng.standard_normal((1000, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    net = gn.network.mlp(3, [8], 1, activation="tanh", rng=0)
    history = net.fit(X, y, loss="mse", optimizer=gn.Adam(0.01), epochs=3, batch_size=7,
                      metrics=["mse", "r2"], shuffle=False)  # fmt: skip
    # the last epoch's training metrics are those of its batches' outputs, as they came
    net2 = gn.network.mlp(3, [8], 1, activation="tanh", rng=0)
    net2.fit(X, y, loss="mse", optimizer=gn.Adam(0.01), epochs=2, batch_size=7, shuffle=False)
    outs, opt = [], net2.optimizer
    for start in range(0, 1000, 7):
        xb, yb = X[start : start + 7], y[start : start + 7]
        outs.append(net2.outputs(xb).ravel())
        net2.fit(xb, yb, loss="mse", optimizer=opt, epochs=1, batch_size=7, shuffle=False)
    out = np.concatenate(outs)
    assert history["mse"][-1] == pytest.approx(np.mean((out - y) ** 2), rel=1e-9)


@pytest.mark.parametrize("monitor", ["val_accuracy", "accuracy"])
def test_early_stopping_on_accuracy_treats_higher_as_better(mlp: MLP, monitor: str) -> None:
    X, labels = _classes(60)
    model = mlp((3, 16, 3), "tanh")
    rec = Recorder()
    stopper = gn.EarlyStopping(patience=3, monitor=monitor)
    history = model.fit(
        X,
        labels,
        loss="cross_entropy",
        optimizer=gn.Adam(0.01),
        epochs=40,
        validation_data=(X, labels),
        metrics=["accuracy"],
        early_stopping=stopper,
        callbacks=[rec],
        seed=0,
    )
    values = history[monitor]
    best = history.best_epoch
    assert best is not None
    # the best epoch is the first with the highest accuracy, and its weights are the ones kept
    assert values[best] == max(values) and values.index(max(values)) == best
    assert values[best] > values[0]
    assert _same(model.get_weights(), rec.weights[best])


def test_early_stopping_among_the_callbacks_records_its_best_epoch_and_restores_first():
    X, y = gn.datasets.make_moons(120, noise=0.2, seed=0)
    seen: list[float] = []

    class Reader(gn.Callback):
        def on_train_end(self, model, history):
            seen.append(float(model.layers[0].params["weight"][0, 0]))

    net = gn.Sequential([gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 2, rng=1)])
    stopper = gn.EarlyStopping(patience=2, monitor="loss", min_delta=1e9)
    history = net.fit(X, y, loss="cross_entropy", optimizer=gn.SGD(0.5), epochs=20,
                      callbacks=[Reader(), stopper])  # fmt: skip
    assert history.best_epoch == stopper.best_epoch == 0
    assert history.stopped_early
    assert seen == [float(net.layers[0].params["weight"][0, 0])]  # saw the restored weights


def test_a_method_replaced_in_on_train_begin_is_the_one_training_calls():
    X, y = gn.datasets.xor()
    calls: list[int] = []

    class Instrument(gn.Callback):
        def on_train_begin(self, model):
            layer = model.layers[1]
            plain = type(layer).forward

            def forward(x, training=False):
                calls.append(len(x))
                return plain(layer, x, training)

            layer.forward = forward

    net = gn.Sequential([gn.Dense(2, 3, rng=0), gn.Sigmoid(), gn.Dense(3, 1, rng=1)])
    net.fit(X, y, loss="mse", optimizer=gn.SGD(0.1), epochs=3, callbacks=[Instrument()])
    assert calls == [4, 4, 4]


# ---------------------------------------------------------------- reliability at the boundary


def _unscaled() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(200, 5)) * 1000
    return X, X @ np.ones(5)


@pytest.mark.parametrize("batch_size", [None, 50])
@pytest.mark.parametrize("metrics", [(), ("mse",)])
def test_a_millionfold_loss_growth_stops_before_overflow_naming_the_rate_set(
    batch_size: int | None, metrics: tuple[str, ...]
) -> None:
    X, y = _unscaled()
    net = gn.network.mlp(5, [8], 1, activation="tanh", rng=0)
    start = net.get_weights()
    pattern = r"loss grew from .* more than 1e\+06-fold.*restored to where fit started.*was 0\.5\)"
    with pytest.raises(TrainingDivergedError, match=pattern):
        net.fit(X, y, loss="sse", optimizer=gn.SGD(0.5), epochs=40, batch_size=batch_size,
                metrics=metrics)  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(start, net.get_weights()))


def test_divergence_names_the_schedules_initial_rate() -> None:
    X, y = _unscaled()
    net = gn.network.mlp(5, [8], 1, activation="tanh", rng=0)
    opt = gn.SGD(gn.optimizers.StepDecay(0.5, step_size=1, gamma=0.9))
    with pytest.raises(TrainingDivergedError, match=r"it was 0\.5, scheduled to 0\.\d+ by then"):
        net.fit(X, y, loss="sse", optimizer=opt, epochs=40)


def test_a_large_but_steady_sum_squared_error_is_no_divergence() -> None:
    X = np.random.default_rng(0).normal(size=(500, 3)) * 1e6
    y = X @ np.array([1.0, -2.0, 0.5]) + 1e9
    net = gn.Sequential([gn.Dense(3, 1, rng=0)])
    history = net.fit(X, y, loss="sse", optimizer=gn.SGD(1e-16), epochs=20)
    assert history["loss"][0] > 1e20 and len(history["loss"]) == 20


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"early_stopping": 2.5}, "early_stopping must be an EarlyStopping or its patience"),
        ({"early_stopping": True}, "early_stopping must be"),
        ({"early_stopping": 0}, "patience must be a positive integer, got 0"),
        ({"callbacks": [object()]}, r"callbacks\[0\] must be a glassnet Callback"),
        ({"callbacks": None}, "callbacks must be a list of Callback objects, got None"),
        ({"callbacks": gn.EarlyStopping()}, "callbacks must be a list"),
        ({"seed": -1}, "seed must be a seed: a non-negative integer"),
        ({"seed": "7"}, "seed must be a seed"),
        ({"seed": 2.0}, "seed must be a seed"),
        ({"metrics": "accuracy"}, "metrics must be a list of names"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer"),
        ({"validation_split": float("nan")}, "validation_split must be a number in"),
        (
            {"validation_split": 0.2, "validation_data": ([[1.0, 2.0, 3.0]], [1.0])},
            "validation_split=0.2 or validation_data, not both",
        ),
    ],
)
def test_bad_fit_arguments_are_one_line_errors_naming_them(
    kwargs: dict[str, Any], message: str
) -> None:
    X, y = _regression()
    net = gn.Sequential([gn.Dense(3, 1, rng=0)])
    start = net.get_weights()
    with pytest.raises(GlassnetError, match=message):
        net.fit(X, y, loss="mse", optimizer="sgd", epochs=2, **kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(start, net.get_weights()))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_delta": float("nan")},
        {"min_delta": -1.0},
        {"patience": -1},
        {"patience": 1.5},
        {"monitor": None},
    ],
)
def test_early_stopping_refuses_settings_that_cannot_work(kwargs: dict[str, Any]) -> None:
    with pytest.raises(GlassnetError, match="early_stopping"):
        gn.EarlyStopping(**kwargs)


def test_a_monitored_metric_that_is_not_logged_is_refused_before_any_weight_moves() -> None:
    X, y = _regression()
    net = gn.Sequential([gn.Dense(3, 1, rng=0)])
    start = net.get_weights()
    with pytest.raises(GlassnetError, match=r"monitors 'accuracy', which fit will not log"):
        net.fit(X, y, loss="mse", optimizer="sgd", epochs=3,
                early_stopping=gn.EarlyStopping(monitor="val_accuracy"))  # fmt: skip
    with pytest.raises(GlassnetError, match="monitors 'r2'"):
        net.fit(X, y, loss="mse", optimizer="sgd", epochs=3,
                callbacks=[gn.EarlyStopping(monitor="r2")])  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(start, net.get_weights()))
    history = net.fit(X, y, loss="mse", optimizer="sgd", epochs=3, metrics=["r2"],
                      early_stopping=gn.EarlyStopping(monitor="val_r2"))  # fmt: skip
    assert len(history["r2"]) == 3


def test_binary_cross_entropy_targets_outside_zero_to_one_are_refused_at_fit() -> None:
    X, _ = _regression()
    net = gn.Sequential([gn.Dense(3, 1, rng=0)])
    y = np.zeros(len(X))
    y[3] = 2.0
    with pytest.raises(DataError, match=r"y holds 2\.0 at row 3.*BinaryCrossEntropy"):
        net.fit(X, y, loss="bce", optimizer="sgd")
    with pytest.raises(DataError, match=r"y_val holds -1\.0"):
        net.fit(X, np.zeros(len(X)), loss="bce", optimizer="sgd",
                validation_data=(X[:2], [0.0, -1.0]))  # fmt: skip


def test_an_optimizer_with_state_is_refused_for_a_second_model() -> None:
    X, y = _regression()
    opt = gn.Adam(0.01)
    first = gn.Sequential([gn.Dense(3, 1, rng=0)])
    first.fit(X, y, loss="mse", optimizer=opt, epochs=2)
    second = gn.Sequential([gn.Dense(3, 1, rng=1)])
    start = second.get_weights()
    with pytest.raises(GlassnetError, match=r"Adam holds state \(m, v\) for another model"):
        second.fit(X, y, loss="mse", optimizer=opt, epochs=2)
    assert all(np.array_equal(a, b) for a, b in zip(start, second.get_weights()))
    first.fit(X, y, loss="mse", optimizer=opt, epochs=2)  # its own model carries on
    import copy

    second.fit(X, y, loss="mse", optimizer=copy.deepcopy(opt), epochs=2)


def test_a_stateless_optimizer_is_rebound_to_a_second_model() -> None:
    X, y = _regression()
    opt = gn.SGD(0.1)
    gn.Sequential([gn.Dense(3, 1, rng=0)]).fit(X, y, loss="mse", optimizer=opt, epochs=2)
    other = gn.Sequential([gn.Dense(3, 3, rng=1), gn.Tanh(), gn.Dense(3, 1, rng=2)])
    fresh = copy_of(other)
    other.fit(X, y, loss="mse", optimizer=opt, epochs=2)
    fresh.fit(X, y, loss="mse", optimizer=gn.SGD(0.1), epochs=2)
    assert all(np.array_equal(a, b) for a, b in zip(other.get_weights(), fresh.get_weights()))


def copy_of(net: gn.Sequential) -> gn.Sequential:
    import copy

    return copy.deepcopy(net)


def test_a_millionfold_rise_from_a_nearly_perfect_fit_is_no_divergence():
    # epoch 1 at a loss of 1e-12 (a warm start, say), then 25× an epoch: 2.4e-4 by epoch 7, a
    # 240-million-fold rise, yet still a small loss: training goes on
    X = np.linspace(-1, 1, 50).reshape(-1, 1)
    net = gn.Sequential([gn.Dense(1, 1, rng=0)])
    net.layers[0].params["weight"][...] = 2.0
    net.layers[0].params["bias"][...] = 1e-6
    history = net.fit(X, 2.0 * X, loss="mse", optimizer=gn.SGD(3.0), epochs=7)
    assert history.loss[0] < 1e-11 and history.loss[-1] > 1e6 * history.loss[0]


class _Replaces(gn.Callback):
    """Replaces the model's parameter arrays after the first epoch, as `replace` says."""

    def __init__(self, replace: Callable[[gn.Sequential], None]) -> None:
        self.replace = replace

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> None:
        if epoch == 0:
            self.replace(model)


@pytest.mark.parametrize(
    "replace",
    [
        lambda m: m.astype(np.float32),
        lambda m: m.layers[0].params.__setitem__("weight", m.layers[0].params["weight"] * 0),
    ],
    ids=["astype", "assignment"],
)
def test_a_callback_replacing_the_parameter_arrays_stops_fit(
    replace: Callable[[gn.Sequential], None],
) -> None:
    # the step would go on training the old arrays: a falling loss, and a model left untrained
    X = np.linspace(-1, 1, 60).reshape(20, 3)
    model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.Tanh(), gn.Dense(4, 2, rng=1)])
    with pytest.raises(GlassnetError, match="a callback replaced the model's parameter arrays"):
        model.fit(X, np.arange(20) % 2, loss="cross_entropy", optimizer=gn.Adam(0.01), epochs=3,
                  batch_size=4, callbacks=[_Replaces(replace)])  # fmt: skip


def test_a_callback_changing_weights_in_place_trains_on() -> None:
    X = np.linspace(-1, 1, 60).reshape(20, 3)
    model = gn.Sequential([gn.Dense(3, 4, rng=0), gn.Tanh(), gn.Dense(4, 2, rng=1)])
    start = model.get_weights()
    back = _Replaces(lambda m: m.set_weights(start))
    history = model.fit(X, np.arange(20) % 2, loss="cross_entropy", optimizer=gn.Adam(0.01),
                        epochs=3, callbacks=[back])  # fmt: skip
    assert len(history.history["loss"]) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shuffle": "no"}, "shuffle must be True or False"),
        ({"shuffle": 2}, "shuffle must be True or False"),
        ({"verbose": "x"}, "verbose must be an integer >= 0"),
        ({"verbose": -1}, "verbose must be an integer >= 0"),
    ],
)
def test_flags_are_bools_not_truthy_values(kwargs, message):
    X, y = gn.datasets.xor()
    net = gn.Sequential([gn.Dense(2, 1, rng=0)])
    with pytest.raises(GlassnetError, match=message):
        net.fit(X, y, loss="mse", optimizer="sgd", epochs=1, **kwargs)


# ----------------------------------------------------------------- sample weights and sparse X


def _weights_after(X, y, **kwargs):
    from glassnet.network import mlp

    net = mlp(X.shape[1], [8], 3, rng=0)
    net.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=4, seed=1, **kwargs)
    return net


def _blob_data(n=120, d=10):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)) * (rng.random((n, d)) < 0.3)  # mostly zeros, as sparse data is
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_sample_weights_of_one_train_exactly_as_no_weights(batch_size):
    X, y = _blob_data()
    a = _weights_after(X, y, batch_size=batch_size, sample_weight=np.ones(len(X)))
    b = _weights_after(X, y, batch_size=batch_size)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


def test_integer_sample_weights_train_like_repeated_samples_on_the_full_batch():
    X, y = _blob_data()
    w = np.random.default_rng(1).integers(0, 4, len(X))
    a = _weights_after(X, y, sample_weight=w.astype(float))
    b = _weights_after(np.repeat(X, w, axis=0), np.repeat(y, w))
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12)


def test_validation_split_carries_the_weights_into_a_weighted_val_loss():
    X, y = _blob_data()
    w = np.where(np.arange(len(X)) % 2 == 0, 1.0, 0.0)
    net = gn.network.mlp(X.shape[1], [8], 3, rng=0)
    history = net.fit(X, y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=16,
                      sample_weight=w, validation_split=0.25, seed=1)  # fmt: skip
    assert np.isfinite(history.history["val_loss"]).all()


@pytest.mark.parametrize(
    ("weights", "phrase"),
    [
        (np.ones(5), r"shape \(120,\)"),
        (np.full(120, np.nan), "nan"),
        (np.r_[-1.0, np.ones(119)], ">= 0"),
        (np.zeros(120), "all zero"),
        ("heavy", "numeric"),
    ],
)
def test_bad_sample_weights_are_one_line_errors(weights, phrase):
    X, y = _blob_data()
    with pytest.raises(GlassnetError, match=phrase) as info:
        _weights_after(X, y, sample_weight=weights)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kind", ["csr_matrix", "csc_matrix", "csr_array"])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_sparse_X_trains_and_predicts_as_its_dense_twin(kind, batch_size):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _blob_data()
    Xs = getattr(sparse, kind)(X)
    a = _weights_after(Xs, y, batch_size=batch_size, validation_data=(Xs, y))
    b = _weights_after(X, y, batch_size=batch_size, validation_data=(X, y))
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.predict(Xs), b.predict(X), rtol=1e-9, atol=1e-12)
    assert a.evaluate(Xs, y)["accuracy"] == b.evaluate(X, y)["accuracy"]


def test_sparse_X_is_never_densified(monkeypatch):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _blob_data(n=600)
    Xs = sparse.csr_matrix(X)

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for cls in (sparse.csr_matrix, sparse.csc_matrix):
        for name in ("toarray", "todense", "__array__"):
            monkeypatch.setattr(cls, name, refuse, raising=False)
    net = _weights_after(Xs, y, batch_size=64, sample_weight=np.ones(600))
    _weights_after(Xs, y)  # the full batch, in blocks of rows
    assert net.predict(Xs).shape == (600, 3)


def test_sparse_X_with_nan_is_a_data_error_naming_it():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _blob_data()
    X[3, 0] = np.nan
    with pytest.raises(DataError, match="nan among its stored values"):
        _weights_after(sparse.csr_matrix(X), y)


def test_fit_and_predict_do_not_import_numpy_ma():
    # refusing masked arrays must not import numpy.ma (13 ms in a fresh process, paid by
    # every first fit, a quarter of the tutorial's whole training)
    import subprocess
    import sys

    code = (
        "import sys, glassnet as gn\n"
        "nn = gn.NeuralNetwork()\n"
        "nn.train(*gn.datasets.tutorial(), 10)\n"
        "nn.model.predict([[1, 0, 0]])\n"
        "print('numpy.ma' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
