"""scikit-learn's own MLP tests (`sklearn/neural_network/tests/test_mlp.py`, read from the
installed scikit-learn) run on glassnet's estimators, with only their import swapped.

Nothing of that file is copied here: its source is read at collection time, the one import
line replaced, and the result compiled into a module whose test functions (with their
parametrize marks) are exposed to pytest. The exceptions below are skipped, each with its
reason; docs/estimators.md lists them too.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

sklearn_mlp_tests = pytest.importorskip("sklearn.neural_network.tests")

SOURCE = Path(sklearn_mlp_tests.__file__).parent / "test_mlp.py"
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor\n"
SWAPPED = (
    "from glassnet.estimators import NeuralNetClassifier as MLPClassifier, "
    "NeuralNetRegressor as MLPRegressor\n"
)

#: tests that cannot pass by design, and why (keep in step with docs/estimators.md)
EXCEPTIONS = {
    "test_fit": "injects scikit-learn's private state (_coef_grads, _coef_velocity, ...) and "
    "assigns coefs_ before partial_fit; glassnet's coefs_ are read-only views of its network",
    "test_gradient": "calls scikit-learn's private _loss_grad_lbfgs (glassnet checks its "
    "gradients with glassnet.gradcheck)",
    "test_nonfinite_params": "matches scikit-learn's exact message wording; glassnet raises "
    "TrainingDivergedError (a ValueError) saying where and how training diverged",
    "test_early_stopping_stratified": "matches the exact message train_test_split gives on "
    "scikit-learn's internal label-binarized y (\"['True']\"); glassnet raises the same "
    "ValueError from stratifying on the labels themselves",
    "test_warm_start": "matches scikit-learn's exact message wording; glassnet's "
    "GlassnetError (a ValueError) says the same in its own words",
    "test_partial_fit_unseen_classes": "depends on scikit-learn's RandomState draw of the "
    "initial weights for random_state=0 (glassnet draws from a Generator: that seed's "
    "untrained network predicts none of the 4 samples right; other seeds do)",
    "test_lbfgs_regression_maxfun[X0-y0]": "depends on scikit-learn's RandomState draw of the "
    "initial weights for random_state=1: from glassnet's draw, the identity network's L-BFGS "
    "solve converges in 8 iterations, inside max_fun=10, so the ConvergenceWarning the test "
    "expects is (rightly) not given; the other three activations warn as expected",
    "test_preserve_feature_names[NeuralNetClassifier]": "fits a classifier on y with one class, "
    "which glassnet refuses with a clear error (scikit-learn trains a constant classifier)",
}


def _load() -> types.ModuleType | None:
    text = SOURCE.read_text(encoding="utf-8") if SOURCE.is_file() else ""
    if text.count(IMPORT) != 1:
        return None
    module = types.ModuleType("sklearn_test_mlp_on_glassnet")
    module.__file__ = str(SOURCE)
    exec(compile(text.replace(IMPORT, SWAPPED), str(SOURCE), "exec"), module.__dict__)
    return module


_module = _load()
if _module is None:  # a scikit-learn whose test file changed: say so, never pass by skipping
    raise RuntimeError(f"{SOURCE} is missing or no longer has the line {IMPORT.strip()!r}")

#: scikit-learn runs this file with ConvergenceWarning left a warning (its suite turns only
#: deprecations into errors); ours turns every warning into an error, for our own tests
pytestmark = pytest.mark.filterwarnings("default::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def global_random_seed() -> int:
    """The fixture scikit-learn's conftest provides (its default seed)."""
    return 42


@pytest.fixture(autouse=True)
def _documented_exception(request: pytest.FixtureRequest) -> None:
    """Skip the tests of `EXCEPTIONS` (by name, or by name and parameters), saying why."""
    reason = EXCEPTIONS.get(request.node.name) or EXCEPTIONS.get(request.node.originalname)
    if reason:
        pytest.skip(reason)


globals().update({name: test for name, test in vars(_module).items() if name.startswith("test_")})
