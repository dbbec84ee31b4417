"""The tutorial's neuron, reproduced on glassnet's engine: same names, same numbers."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetError
from glassnet.tutorial import TRAINING_INPUTS, TRAINING_OUTPUTS, NeuralNetwork


def tutorial_reference(iterations: int, seed: int = 1) -> np.ndarray:
    """The tutorial's own code (its 9-line loop), run here as the reference."""
    state = np.random.get_state()  # noqa: NPY002 - saved and restored: the test leaves no trace
    try:
        np.random.seed(seed)  # noqa: NPY002 - this IS the tutorial's code, restored below
        synaptic_weights = 2 * np.random.random((3, 1)) - 1  # noqa: NPY002
    finally:
        np.random.set_state(state)  # noqa: NPY002
    X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]])
    y = np.array([[0, 1, 1, 0]]).T
    for _ in range(iterations):
        output = 1 / (1 + np.exp(-(np.dot(X, synaptic_weights))))
        synaptic_weights += np.dot(X.T, (y - output) * output * (1 - output))
    return synaptic_weights


def think_reference(weights: np.ndarray, inputs: list[float]) -> float:
    return float(1 / (1 + np.exp(-(np.dot(np.array(inputs, dtype=float), weights))))[0])


def test_starting_weights_match_the_tutorial():
    nn = NeuralNetwork()
    np.testing.assert_allclose(
        nn.synaptic_weights.ravel(), [-0.16595599, 0.44064899, -0.99977125], atol=5e-9
    )
    assert nn.synaptic_weights.shape == (3, 1)
    np.testing.assert_allclose(nn.synaptic_weights, tutorial_reference(0), rtol=0, atol=1e-15)


def test_ten_thousand_iterations_match_the_tutorial_to_8_digits():
    nn = NeuralNetwork()
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 10000)
    np.testing.assert_allclose(
        nn.synaptic_weights.ravel(), [9.67299303, -0.2078435, -4.62963669], atol=5e-8
    )
    assert f"{float(nn.think([1, 0, 0])[0]):.8f}" == "0.99993704"


def test_fifteen_thousand_iterations_match_the_tutorial():
    nn = NeuralNetwork()
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 15000)
    assert f"{float(nn.think([1, 0, 0])[0]):.7f}" == "0.9999584"


@pytest.mark.parametrize("iterations", [1, 2, 100, 10000, 15000])
def test_engine_agrees_with_the_tutorials_own_code_to_1e_12(iterations):
    nn = NeuralNetwork()
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, iterations)
    reference = tutorial_reference(iterations)
    np.testing.assert_allclose(nn.synaptic_weights, reference, rtol=0, atol=1e-12)
    for situation in ([1, 0, 0], [0, 1, 1], [1, 1, 0]):
        assert abs(float(nn.think(situation)[0]) - think_reference(reference, situation)) < 1e-12


def test_other_seeds_match_the_tutorial_code_with_that_seed():
    nn = NeuralNetwork(seed=7)
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 500)
    np.testing.assert_allclose(nn.synaptic_weights, tutorial_reference(500, seed=7), atol=1e-12)


def test_global_random_state_is_untouched():
    before = np.random.get_state()[1].copy()  # noqa: NPY002 - observing the global state
    NeuralNetwork(seed=3).train(TRAINING_INPUTS, TRAINING_OUTPUTS, 10)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_neural_network_is_a_face_over_the_engine():
    nn = NeuralNetwork()
    layers = nn.model.layers
    assert isinstance(nn.model, gn.Sequential)
    assert [type(layer) for layer in layers] == [gn.Dense, gn.Sigmoid]
    assert layers[0].bias is False
    # synaptic_weights IS the Dense layer's weight array: training updates it in place
    assert nn.synaptic_weights is layers[0].params["weight"]
    assert isinstance(nn.loss, gn.SumSquaredError)
    assert isinstance(nn.optimizer, gn.SGD) and nn.optimizer.learning_rate == 1.0


def test_one_iteration_is_one_sgd_step_of_the_error_weighted_derivative():
    nn = NeuralNetwork()
    w = nn.synaptic_weights.copy()
    output = nn.sigmoid(TRAINING_INPUTS @ w)
    error = TRAINING_OUTPUTS - output
    adjustments = TRAINING_INPUTS.T @ (error * nn.sigmoid_derivative(output))
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 1)
    np.testing.assert_allclose(nn.synaptic_weights, w + adjustments, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "inputs",
    [
        [1, 0, 0],
        np.array([1, 0, 0]),
        np.array([[1, 0, 0]]),
        ["1", "0", "0"],
        np.array(["1", "0", "0"]),
    ],
)
def test_think_accepts_lists_arrays_and_numeric_strings(inputs):
    nn = NeuralNetwork()
    nn.train(TRAINING_INPUTS, TRAINING_OUTPUTS, 10000)
    out = np.asarray(nn.think(inputs)).ravel()
    assert out.shape == (1,)
    assert f"{out[0]:.8f}" == "0.99993704"


def test_think_on_a_batch_returns_one_output_per_row():
    nn = NeuralNetwork()
    assert nn.think(TRAINING_INPUTS).shape == (4, 1)


@pytest.mark.parametrize("bad", [["a", "0", "0"], [1, 0], [1, 0, 0, 0], [[1, 0]], [1, np.nan, 0]])
def test_think_rejects_bad_inputs_with_a_value_error(bad):
    with pytest.raises(ValueError, match=r"expected|numbers|NaN|nan"):
        NeuralNetwork().think(bad)


def test_sigmoid_and_its_derivative_keep_the_tutorials_names():
    nn = NeuralNetwork()
    assert nn.sigmoid(0.0) == 0.5
    assert nn.sigmoid_derivative(0.5) == 0.25


@pytest.mark.parametrize("seed", [2**32, 2**40, -1, "1", 1.0, None])
def test_seeds_outside_the_tutorials_range_are_refused_by_name(seed: object) -> None:
    with pytest.raises(GlassnetError, match="seed must be"):
        NeuralNetwork(seed=seed)  # type: ignore[arg-type]
    if seed is not None:
        with pytest.raises(GlassnetError, match="seed must be"):
            gn.explain(seed=seed)  # type: ignore[arg-type]
