"""The playground's sessions without a server: training on glassnet's own fit, the snapshots, the
glass (a neuron's numbers against explain's), the exports and divergence."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.network import mlp
from glassnet.optimizers import get as get_optimizer
from glassnet.playground.data import build_data, parse_config
from glassnet.playground.exports import command, model_file, script
from glassnet.playground.glass import neuron, predict
from glassnet.playground.session import Session
from glassnet.preprocessing import Preprocessing

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    """Sessions made in a test, closed at its end (their threads stop)."""
    made: list[Session] = []
    yield made
    for session in made:
        session.close()


def start(sessions: list[Session], csv: str | None = None, **config: object) -> Session:
    c = parse_config(config)
    session = Session(c, build_data(c, csv, csv))
    sessions.append(session)
    return session


def trained_alone(session: Session, epochs: int) -> gn.Sequential:
    """The same network trained by one call of fit, as the exported script does."""
    c, d = session.config, session.data
    model = mlp(d.n_inputs, c.hidden, len(d.classes or [0]), activation=c.activation, rng=c.seed)
    model.fit(d.inputs(d.X_train), d.y_train, loss="cross_entropy",
              optimizer=get_optimizer(c.optimizer, c.learning_rate), epochs=epochs,
              batch_size=c.batch_size, seed=c.seed)  # fmt: skip
    return model


def test_one_step_trains_exactly_one_epoch_of_fit(sessions: list[Session]) -> None:
    session = start(sessions, data="spirals", hidden=[8, 8], optimizer="adam", batch_size=10)
    assert session.control("step") == {"state": "paused", "epoch": 1}
    for mine, alone in zip(
        session.published.model.get_weights(), trained_alone(session, 1).get_weights()
    ):
        np.testing.assert_array_equal(mine, alone)
    assert session.control("step") == {"state": "paused", "epoch": 2}
    for mine, alone in zip(
        session.published.model.get_weights(), trained_alone(session, 2).get_weights()
    ):
        np.testing.assert_array_equal(mine, alone)
    assert session.snapshot()["epoch"] == 2 and session.snapshot()["history"]["epochs"] == [1, 2]


def test_tutorial_preset_answers_the_new_situation_after_10000_iterations(
    sessions: list[Session],
) -> None:
    session = start(sessions, data="tutorial")
    assert session.control("step", epochs=10_000) == {"state": "paused", "epoch": 10_000}
    answer = predict(session, [[1, 0, 0]])
    assert round(answer["outputs"][0][0], 8) == 0.99993704
    assert predict(session, [[0, 1, 1]])["labels"] == ["0"]  # any three inputs, as typed


def test_play_pauses_the_tutorial_where_its_run_ends(sessions: list[Session]) -> None:
    session = start(sessions, data="tutorial")
    session.control("play")
    session._thread.join(0.01)
    for _ in range(1000):
        if session.state == "paused":
            break
        session._thread.join(0.01)
    assert (session.state, session.epoch) == ("paused", 10_000)


def test_neuron_numbers_are_explains_for_that_sample(sessions: list[Session]) -> None:
    session = start(sessions, data="moons", hidden=[4], optimizer="sgd", learning_rate=0.1)
    session.control("step")
    model = session.published.model
    X = session.data.inputs(session.data.X_train[3:4])
    y = session.data.y_train[3:4]
    e = gn.explain(model, X, y, loss=model.loss, optimizer=model.optimizer)
    values = {name: np.asarray(v) for step in e.steps for name, v in step.values.items()}
    hidden = neuron(session, 0, 2, 3)
    np.testing.assert_array_equal(hidden["inputs"], X[0])
    np.testing.assert_array_equal(hidden["weights"], values["W₁"][:, 2])
    assert hidden["bias"] == values["b₁"][2]
    assert hidden["z"] == values["z₁"][0, 2] and hidden["a"] == values["a₁"][0, 2]
    assert hidden["activation"] == "tanh" and "z = Σ w·x + b" in hidden["equation"]
    np.testing.assert_array_equal(hidden["gradient"]["dw"], values["∂L/∂W₁"][:, 2])
    assert hidden["gradient"]["db"] == values["∂L/∂b₁"][2]
    assert hidden["gradient"]["dz"] == values["∂L/∂z₁"][0, 2]
    np.testing.assert_allclose(hidden["update"]["dw"], -0.1 * values["∂L/∂W₁"][:, 2], rtol=1e-12)
    output = neuron(session, 1, 1, 3)  # the output layer: logits, read through the loss
    assert output["z"] == values["ŷ"][0, 1] and output["activation"] == "identity"
    assert output["gradient"]["dz"] == values["∂L/∂ŷ"][0, 1]
    np.testing.assert_array_equal(output["inputs"], values["a₁"][0])


def test_divergence_pauses_with_a_finding_and_no_nan_reaches_the_page(
    sessions: list[Session],
) -> None:
    session = start(sessions, data="plane", hidden=[8], activation="identity", learning_rate=3.0)
    session.control("step", epochs=200)
    assert session.state == "paused" and session.paused_by == "divergence"
    assert any(f["kind"] == "divergence" for f in session.snapshot()["findings"])

    def refuse(constant: str) -> float:
        raise AssertionError(f"{constant} in the snapshot")

    json.loads(session.published.text, parse_constant=refuse)
    assert all(np.isfinite(w).all() for w in session.published.model.get_weights())


def test_spirals_8_8_reaches_90_percent_test_accuracy(sessions: list[Session]) -> None:
    session = start(sessions, data="spirals", n=400, noise=0.1, hidden=[8, 8], activation="tanh",
                    optimizer="adam", learning_rate=0.03, batch_size=10)  # fmt: skip
    session.control("step", epochs=300)
    assert session.snapshot()["metric"]["test"] >= 0.9


def test_more_than_two_classes_have_a_heatmap_of_classes_and_a_confusion_matrix(
    sessions: list[Session],
) -> None:
    session = start(sessions, data="gaussians", classes=3, hidden=[6])
    session.control("step", epochs=5)
    frame = session.snapshot()
    assert set(frame["heatmap"]["values"]) <= {0, 1, 2} and len(frame["heatmap"]["values"]) == 2500
    assert len(frame["confusion"]) == 3 and sum(map(sum, frame["confusion"])) == 90
    assert len(frame["neurons"]) == 1 and len(frame["neurons"][0]) == 6


def test_reset_puts_back_the_starting_weights(sessions: list[Session]) -> None:
    session = start(sessions, data="xor", hidden=[4])
    before = session.published.model.get_weights()
    session.control("step", epochs=3)
    assert session.control("reset") == {"state": "paused", "epoch": 0}
    for a, b in zip(before, session.published.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert session.snapshot()["points"] is not None


def test_exported_model_file_predicts_identically_after_load(
    sessions: list[Session], tmp_path: Path
) -> None:
    session = start(sessions, data="plane", noise=0.1, hidden=[5])
    session.control("step", epochs=4)
    path = tmp_path / "model.npz"
    path.write_bytes(model_file(session, str(tmp_path)))
    loaded = gn.load(path)
    prep = Preprocessing.from_model(loaded, source=str(path))
    X = session.data.X_test
    np.testing.assert_array_equal(
        loaded.predict(prep.transform(X)), session.published.model.predict(session.data.inputs(X))
    )
    assert list(tmp_path.iterdir()) == [path]  # nothing else left behind


def _weights_of(script_path: Path) -> list[np.ndarray]:
    """Run an exported script in a fresh Python and read its model's weights back."""
    code = (
        f"import json, runpy; g = runpy.run_path({str(script_path)!r}); "
        "print(json.dumps([w.tolist() for w in g['model'].get_weights()]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1"}, timeout=60,
                          cwd=script_path.parent, check=True)  # fmt: skip
    return [np.array(w) for w in json.loads(done.stdout.splitlines()[-1])]


def test_exported_script_reproduces_the_weights(sessions: list[Session], tmp_path: Path) -> None:
    session = start(sessions, data="moons", hidden=[6, 3], optimizer="adam", dropout=0.1,
                    l2=1e-3, batch_size=16)  # fmt: skip
    session.control("step", epochs=7)
    path = tmp_path / "run.py"
    path.write_bytes(script(session, str(tmp_path)))
    for mine, again in zip(session.published.model.get_weights(), _weights_of(path)):
        np.testing.assert_allclose(again, mine, rtol=0, atol=1e-12)


def test_exported_script_reads_a_csv_file_as_train_does(
    sessions: list[Session], tmp_path: Path
) -> None:
    csv = tmp_path / "pets.csv"
    rows = ["kind,weight,colour,good"]
    for i in range(40):
        weight = "NA" if i % 7 == 0 else f"{3 + (i % 5) * 1.5}"
        colour, good = ["red", "tan", ""][i % 3], "yes" if i % 4 else "no"
        rows.append(f"{['cat', 'dog'][i % 2]},{weight},{colour},{good}")
    csv.write_text("\n".join(rows) + "\n")
    session = start(sessions, csv=str(csv), data="csv", target="good", hidden=[3])
    assert session.data.classes == ["no", "yes"] and session.data.schema is not None
    session.control("step", epochs=3)
    path = tmp_path / "run.py"
    path.write_bytes(script(session, str(tmp_path)))
    for mine, again in zip(session.published.model.get_weights(), _weights_of(path)):
        np.testing.assert_allclose(again, mine, rtol=0, atol=1e-12)
    line = command(session, str(tmp_path)).decode().splitlines()[0]
    assert (
        line.startswith(f"glassnet train {csv} --target good --hidden 3 ") and "--epochs 3" in line
    )


def test_the_heatmap_holds_other_inputs_at_their_means(sessions: list[Session]) -> None:
    session = start(sessions, data="tutorial", x_feature=0, y_feature=2)
    frame = session.snapshot()
    assert frame["heatmap"]["features"] == ["input 1", "input 3"]
    assert all(math.isfinite(v) for v in frame["heatmap"]["values"])
    assert frame["neurons"] == [] and frame["points"]["test"] == []


def test_the_written_sum_brackets_negative_numbers():
    from glassnet.playground.glass import _term

    assert [_term(v) for v in (-1.3321, 0.5286, -0.0001234)] == ["(-1.332)", "0.5286",
                                                               "(-0.0001234)"]  # fmt: skip
