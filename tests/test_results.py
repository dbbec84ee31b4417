"""Real results: the engine learns the classic toy problems and matches scikit-learn on real data.

Every run has fixed seeds, so each number below is reproducible on this platform.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

import glassnet as gn
from glassnet import datasets


def _accuracy(model: gn.Sequential, X: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(model.predict(X).argmax(axis=1) == labels))


def test_xor_is_learned_by_a_hidden_layer() -> None:
    X, y = datasets.xor()
    model = gn.Sequential([gn.Dense(2, 8, rng=0), gn.Tanh(), gn.Dense(8, 1, rng=1)])
    history = model.fit(X, y, loss="bce", optimizer=gn.Adam(0.05), epochs=300, metrics=["accuracy"])
    np.testing.assert_array_equal(model.predict(X) > 0, y.reshape(-1, 1) > 0.5)
    assert history["accuracy"][-1] == 1.0
    assert history["loss"][-1] < 0.05


@pytest.mark.parametrize(
    ("make", "epochs"),
    [(datasets.make_moons, 300), (datasets.make_circles, 300), (datasets.make_spirals, 500)],
    ids=["moons", "circles", "spirals"],
)
def test_two_dimensional_toy_problems_reach_97_percent_training_accuracy(
    make: Callable[..., tuple[np.ndarray, np.ndarray]], epochs: int
) -> None:
    X, labels = make(seed=0)
    model = gn.Sequential(
        [
            gn.Dense(2, 32, rng=0),
            gn.Tanh(),
            gn.Dense(32, 32, rng=1),
            gn.Tanh(),
            gn.Dense(32, 2, rng=2),
        ]
    )
    history = model.fit(
        X,
        labels,
        loss="cross_entropy",
        optimizer=gn.Adam(0.01),
        epochs=epochs,
        batch_size=32,
        metrics=["accuracy"],
        seed=0,
    )
    assert _accuracy(model, X, labels) >= 0.97
    assert history["accuracy"][-1] >= 0.97


def test_digits_reach_97_5_percent_test_accuracy_within_50_epochs() -> None:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)  # fitted on the training part only
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = gn.Sequential(
        [gn.Dense(64, 128, init="he_uniform", rng=0), gn.ReLU(), gn.Dense(128, 10, rng=1)]
    )
    history = model.fit(
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=gn.Adam(0.001, weight_decay=1e-3),
        epochs=50,
        batch_size=32,
        validation_data=(X_test, y_test),
        metrics=["accuracy"],
        seed=0,
    )
    assert history.epochs == 50
    accuracy = _accuracy(model, X_test, y_test)
    assert accuracy >= 0.975, accuracy
    assert model.evaluate(X_test, y_test)["accuracy"] == accuracy


def test_diabetes_regression_matches_scikit_learn_mlp_regressor() -> None:
    """Same settings on both sides: one hidden layer of 32 tanh units, Adam at 0.001, batches of
    32, 30 epochs, no L2 (alpha=0), shuffled; X and y standardized with the training part's mean
    and deviation. R² is on the 25% test part, averaged over 8 seeds on each side: a single
    run's test R² on 111 samples varies by about ±0.03 with the seed, for both libraries."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    x_scaler = StandardScaler().fit(X_train)
    y_scaler = StandardScaler().fit(y_train.reshape(-1, 1))
    X_train, X_test = x_scaler.transform(X_train), x_scaler.transform(X_test)
    y_train = y_scaler.transform(y_train.reshape(-1, 1)).ravel()
    y_test = y_scaler.transform(y_test.reshape(-1, 1)).ravel()

    ours, theirs = [], []
    for seed in range(8):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch budget
            reference = MLPRegressor(
                hidden_layer_sizes=(32,),
                activation="tanh",
                solver="adam",
                learning_rate_init=0.001,
                batch_size=32,
                max_iter=30,
                alpha=0.0,
                shuffle=True,
                tol=0.0,
                n_iter_no_change=10**6,
                random_state=seed,
            ).fit(X_train, y_train)
        theirs.append(r2_score(y_test, reference.predict(X_test)))
        model = gn.Sequential(
            [gn.Dense(10, 32, rng=10 * seed), gn.Tanh(), gn.Dense(32, 1, rng=10 * seed + 1)]
        )
        model.fit(
            X_train,
            y_train,
            loss="mse",
            optimizer=gn.Adam(0.001),
            epochs=30,
            batch_size=32,
            seed=seed,
        )
        ours.append(r2_score(y_test, model.predict(X_test).ravel()))
    assert reference.n_iter_ == 30
    assert np.mean(theirs) > 0.25  # the reference itself learned something
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02, (np.mean(ours), np.mean(theirs))
