"""`NeuralNetClassifier`: binary, multiclass and multilabel targets on `BaseNeuralNet`."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target

from .._typing import Array
from ..errors import GlassnetError
from ..losses import BinaryCrossEntropy, CrossEntropy
from ._base import BaseNeuralNet, stochastic
from ._checks import check_classes, check_labels

__all__ = ["NeuralNetClassifier"]


def _listed(labels: Array) -> str:
    """Class labels for a message: a short list, never an array's repr."""
    text = str(labels.tolist())
    return text if len(text) <= 80 else text[:76] + "...]"


class NeuralNetClassifier(ClassifierMixin, BaseNeuralNet):
    """A multi-layer perceptron classifier with scikit-learn's API, trained by glassnet.

    Binary targets get one sigmoid output trained with `BinaryCrossEntropy` (as scikit-learn's
    `MLPClassifier`); three or more classes get a softmax output and `CrossEntropy`; a multilabel
    indicator matrix gets one sigmoid output per label and `BinaryCrossEntropy`. Labels may be
    any sortable values (strings included).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
    solver : {"adam", "sgd", "rmsprop"}, default "adam"
        "sgd" uses `momentum` (Nesterov when `nesterovs_momentum`), as scikit-learn does.
    alpha : float, default 1e-4
        L2 penalty, scaled exactly as in scikit-learn (see `glassnet.estimators._base`).
    batch_size : int or "auto", default "auto"
        "auto" is min(200, n_samples); larger values are clipped to n_samples.
    learning_rate_init : float, default 1e-3
    max_iter : int, default 200
        Epochs for `fit` (each `partial_fit` call is one epoch over its data).
    shuffle : bool, default True
    random_state : int, RandomState, Generator or None
        Seeds the initial weights, the shuffling, the validation split and dropout.
    tol : float, default 1e-4
    verbose : int, default 0
        1 prints the loss of each epoch to stderr.
    warm_start : bool, default False
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Hold out `validation_fraction` of the data (stratified), stop when its accuracy stops
        improving by `tol` for `n_iter_no_change` epochs, and keep the best epoch's weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float, defaults 0.9, 0.999, 1e-8
        Adam's parameters (`epsilon` is RMSprop's too).
    n_iter_no_change : int, default 10
    dropout : float, default 0.0
        Dropout rate after each hidden activation (glassnet's addition).
    dtype : {"float64", "float32"} or None, default None
        The precision of the network and of its computations; None keeps float32 X in
        float32 and uses float64 otherwise (scikit-learn's dtype preservation).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X had string column names (e.g. a pandas DataFrame).
    n_outputs_ : int
    n_iter_ : int
        Epochs run by the last `fit` (plus later `partial_fit` calls).
    loss_, loss_curve_ : float, list of float
        scikit-learn's objective (log-loss + L2 penalty) after each epoch.
    best_loss_ : float or None
    validation_scores_ : list of float or None
        Validation accuracy per epoch when `early_stopping`.
    network_ : Sequential
        The glassnet network; its optimizer keeps its state between `partial_fit` calls.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuralNetClassifier((16,), learning_rate_init=0.01, max_iter=500, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _stratify = True

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True  # indicator matrices: one sigmoid per label
        return tags

    @available_if(stochastic)
    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> NeuralNetClassifier:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), or (n_samples, n_labels) indicator matrix
        sample_weight : array-like of shape (n_samples,), optional
            Each sample's weight in the loss (see `fit`). Second, as in scikit-learn: pass
            `classes` by name.
        classes : array-like of shape (n_classes,)
            Every class of the whole data set. Required on the first call (for multilabel y,
            the labels are the columns of y); may be omitted afterwards.

        Returns
        -------
        self
        """
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise GlassnetError("classes must be passed on the first call to partial_fit")
        if classes is not None:
            classes = check_classes(classes)
            if not first and not np.array_equal(classes, self.classes_):
                raise GlassnetError(
                    f"classes={_listed(classes)} is not the same as on the first call to "
                    f"partial_fit ({_listed(self.classes_)})"
                )
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _set_targets(self, y: Array, *, classes: Any, incremental: bool) -> None:
        check_labels(y, type(self).__name__)
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            self.classes_ = np.arange(y.shape[1])
            self._kind = "multilabel"
        elif kind == "multiclass-multioutput":
            raise GlassnetError(
                f"y has {y.shape[1]} columns of multiclass labels; NeuralNetClassifier handles "
                "one column of labels or a 0/1 multilabel indicator matrix"
            )
        else:
            self.classes_ = np.unique(y) if classes is None or not incremental else classes
            if len(self.classes_) < 2:
                raise GlassnetError(
                    f"y has one class only ({self.classes_[0]}); a classifier needs samples of "
                    "at least 2 classes"
                )
            self._kind = "binary" if len(self.classes_) == 2 else "multiclass"
        self._configure_loss()

    def _configure_loss(self) -> None:
        k = len(self.classes_)
        if self._kind == "multiclass":
            self._n_outputs, self._loss = k, CrossEntropy()
            self._grad_ratio, self._loss_scale = 1.0, 1.0
            self._out_activation = "softmax"
        else:
            n = 1 if self._kind == "binary" else k
            # glassnet's BCE is the mean over n·k elements, scikit-learn's sums over the k labels
            self._n_outputs, self._loss = n, BinaryCrossEntropy()
            self._grad_ratio, self._loss_scale = 1.0 / n, float(n)
            self._out_activation = "logistic"
        self._stratify = self._kind != "multilabel"

    def _encode(self, y: Array, *, first: bool) -> Array:
        if self._kind == "multilabel":
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise GlassnetError(
                    f"y must be a {len(self.classes_)}-column multilabel indicator matrix like "
                    f"the first one, got shape {y.shape}"
                )
            return np.asarray(y, dtype=self._np_dtype())
        if not first:
            check_labels(y, type(self).__name__)
        if y.ndim != 1:
            raise GlassnetError(f"y must hold one label per sample, got shape {y.shape}")
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise GlassnetError(
                f"y has classes {_listed(unknown)} not in classes_ {_listed(self.classes_)}"
            )
        index = np.searchsorted(self.classes_, y)
        if self._kind == "binary":
            return index.astype(self._np_dtype()).reshape(-1, 1)
        return index.astype(np.intp)

    def _check_score_targets(self, y: Array) -> None:
        if self._kind == "multilabel":
            self._encode(y, first=False)  # the indicator matrix's shape
            return
        check_labels(y, type(self).__name__)
        if y.ndim == 2 and y.shape[1] != 1:
            raise GlassnetError(f"y must hold one label per sample, got shape {y.shape}")
        text, known = y.dtype.kind in "US", self.classes_.dtype.kind in "US"
        if text != known and y.dtype != object and self.classes_.dtype != object:
            raise GlassnetError(
                f"y holds {'strings' if text else 'numbers'}, but the classes_ are "
                f"{'strings' if known else 'numbers'}: {_listed(self.classes_)}"
            )

    def _check_warm_targets(self, y: Array) -> None:
        # scikit-learn's rule: a warm-started fit sees exactly the classes of the previous one
        if self._kind == "multilabel" or y.ndim != 1:
            return  # _encode checks the shape
        check_labels(y, type(self).__name__)
        present = np.unique(y)
        if not np.array_equal(present, self.classes_):
            raise GlassnetError(
                "warm_start can only be used where y has the same classes as in the previous "
                f"call to fit: previously {_listed(self.classes_)}, y has {_listed(present)}"
            )

    def _decode(self, out: Array) -> Array:
        # class indices, or one bool per label: on when p > ½, as scikit-learn decides
        decided = self._loss.decide(out, strict=True)
        if self._kind == "multilabel":
            return decided.astype(int)
        return self.classes_[decided.astype(np.intp, copy=False)]

    def _score_encoded(self, X: Any, y: Array, sample_weight: Array | None = None) -> float:
        # what `predict` decides against the truth; subset accuracy for multilabel targets, as
        # scikit-learn's accuracy_score (weighted by `sample_weight` when given)
        hit = self._loss.decide(self.network_.predict(X), strict=True) == self._loss.labels_of(y)
        return float(np.average(hit if hit.ndim == 1 else hit.all(axis=1), weights=sample_weight))

    # the mixin's score would come first in the method order: take the checked one
    score = BaseNeuralNet.score

    def _metric(self, X: Any, y: Array, *, sample_weight: Any) -> float:
        return float(ClassifierMixin.score(self, X, y, sample_weight=sample_weight))

    def predict(self, X: Any) -> Array:
        """Predicted labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), or (n_samples, n_labels) for multilabel targets
        """
        return self._decode(self._raw_predict(X))

    def decision_function(self, X: Any) -> Array:
        """The network's logits: > 0 means the positive class (binary) or label (multilabel).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for binary targets, else (n_samples, n_classes)
        """
        out = self._raw_predict(X)
        return out[:, 0] if self._kind == "binary" else out

    def predict_proba(self, X: Any) -> Array:
        """Probability of each class (columns ordered as `classes_`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1, except for multilabel targets, where column j is P(label j).
        """
        # one sigmoid column (binary) spreads into (1 − p, p); multilabel keeps P(label j)
        out = self._raw_predict(X)  # first: it raises NotFittedError before a fit
        return self._loss.class_probabilities(out)

    def predict_log_proba(self, X: Any) -> Array:
        """The logarithm of `predict_proba`."""
        return np.log(self.predict_proba(X))

    def _targets_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"kind": self._kind}
        if self.classes_.dtype.kind in "OUS":
            state["classes"] = [str(c) for c in self.classes_]
            state["classes_dtype"] = "object" if self.classes_.dtype.kind == "O" else "str"
        return state

    def _targets_arrays(self) -> dict[str, Array]:
        if self.classes_.dtype.kind in "OUS":
            return {}
        return {"estimator.classes": self.classes_}

    def _restore_targets(self, state: dict[str, Any], extras: dict[str, Array]) -> None:
        self._kind = str(state["kind"])
        if self._kind not in ("binary", "multiclass", "multilabel"):
            raise GlassnetError(f"field 'targets.kind' is {self._kind!r:.40}")
        if "classes" in state:
            if state["classes_dtype"] not in ("object", "str") or not all(
                isinstance(c, str) for c in state["classes"]
            ):
                raise GlassnetError("field 'targets.classes' must hold strings")
            dtype = object if state["classes_dtype"] == "object" else str
            self.classes_ = np.asarray(state["classes"], dtype=dtype)
        else:
            self.classes_ = np.asarray(extras["estimator.classes"])
        classes, k = self.classes_, len(self.classes_)
        # scikit-learn's classes_ come from np.unique: sorted, each once (reversed ones would
        # flip every prediction)
        if classes.ndim != 1 or not np.array_equal(np.unique(classes), classes):
            raise GlassnetError(
                f"field 'targets.classes' ({classes!r:.80}) is not sorted and unique, as "
                "scikit-learn's classes_ always are"
            )
        if self._kind == "multilabel" and not np.array_equal(classes, np.arange(k)):
            raise GlassnetError("field 'targets.classes' of multilabel targets must be 0 ... k-1")
        if k < 2 if self._kind != "multilabel" else k < 1:
            raise GlassnetError(f"field 'targets.classes' holds {k} class(es)")
        if (self._kind == "binary") != (k == 2) and self._kind != "multilabel":
            raise GlassnetError(
                f"field 'targets.kind' is {self._kind!r}, but there are {k} classes"
            )
        self._configure_loss()
