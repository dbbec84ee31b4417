"""glassnet inside scikit-learn: a Pipeline, a grid search and a model file (sklearn extra).

Run:  python examples/sklearn_pipeline.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassnet import NeuralNetClassifier


def main() -> None:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

    pipe = make_pipeline(StandardScaler(), NeuralNetClassifier(random_state=0))
    search = GridSearchCV(pipe, {"neuralnetclassifier__alpha": [1e-4, 1e-2]}, cv=3, n_jobs=1)
    search.fit(X_train, y_train)
    print(f"best alpha: {search.best_params_['neuralnetclassifier__alpha']}")
    print(f"test accuracy: {search.score(X_test, y_test):.3f}")

    clf = search.best_estimator_[-1]
    print(f"epochs run: {clf.n_iter_}, final loss: {clf.loss_:.4f}")
    print(clf.network_.summary())

    # the fitted estimator saves to one safe .npz (no pickle inside) and loads back
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digits.npz"
        clf.save(path)
        loaded = NeuralNetClassifier.load(path)
        scaler = search.best_estimator_[0]
        same = loaded.predict(scaler.transform(X_test)) == clf.predict(scaler.transform(X_test))
        print(f"loaded model agrees on {same.mean():.0%} of the test set")


if __name__ == "__main__":
    main()
