"""scikit-learn estimators on the glassnet engine: `NeuralNetClassifier`, `NeuralNetRegressor`.

They take scikit-learn's `MLPClassifier`/`MLPRegressor` parameter names and reproduce its training
recipe — Glorot-uniform weights *and* biases, mini-batches of min(200, n), L2 penalty `alpha`, the
tol/`n_iter_no_change` stopping rule — but every step runs through glassnet: the network is a
`Sequential` (`network_`), each epoch is `Sequential.fit` with the estimator's stopping rule as a
`Callback`, and the optimizer (with its state) is kept on the network, so `partial_fit` resumes
exactly where the last call stopped. `fit_stream` and `iter_chunks` stream data larger than memory
through `partial_fit`; `dask_ml.wrappers.Incremental` does the same across a Dask cluster.

The package is ordered by job: `_base` (what both estimators share: parameters, the network, the
fit loop with scikit-learn's stopping rule and L2 scaling, model files), `_checks` (a bad X, y
or `classes` → one `DataError` line), `classifier`, `regressor`, `streaming`.

scikit-learn is an optional extra: ``pip install 'glassnet[sklearn]'``.
"""

from __future__ import annotations

try:  # the optional extra, at the version whose API these modules use (validate_data: 1.6)
    from sklearn.utils.validation import validate_data  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "glassnet.NeuralNetClassifier and NeuralNetRegressor need scikit-learn >= 1.6, which is "
        "not installed; install it with: pip install 'glassnet[sklearn]'"
    ) from exc

from .classifier import NeuralNetClassifier
from .regressor import NeuralNetRegressor
from .streaming import fit_stream, iter_chunks

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor", "fit_stream", "iter_chunks"]
