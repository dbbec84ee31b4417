"""glassnet: a neural network library you can see through, from one neuron to fast MLPs.

>>> import glassnet as gn
>>> net = gn.Sequential([gn.Dense(2, 4), gn.Sigmoid(), gn.Dense(4, 1), gn.Sigmoid()])
"""

from __future__ import annotations

from . import datasets, initializers, tables
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .callbacks import Callback, EarlyStopping, History
from .diagnostics import TrainingWarning, Watchdog, diagnose
from .errors import DataError, GlassnetError, ModelFileError, TrainingDivergedError
from .explain import explain
from .gradcheck import GradcheckReport, gradcheck
from .io import save
from .layers import Dense, Dropout, Layer
from .losses import (
    BinaryCrossEntropy,
    CrossEntropy,
    Loss,
    MeanSquaredError,
    Poisson,
    SumSquaredError,
)
from .network import Sequential, load
from .optimizers import (
    LBFGS,
    SGD,
    Adam,
    ExponentialDecay,
    InverseScaling,
    Optimizer,
    RMSprop,
    StepDecay,
)
from .trace import Trace
from .tutorial import NeuralNetwork

__version__ = "0.1.0"

__all__ = [
    "LBFGS",
    "SGD",
    "Adam",
    "BinaryCrossEntropy",
    "Callback",
    "CrossEntropy",
    "DataError",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "ExponentialDecay",
    "GlassnetError",
    "GradcheckReport",
    "History",
    "Identity",
    "InverseScaling",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MeanSquaredError",
    "ModelFileError",
    "NeuralNetwork",
    "Optimizer",
    "Poisson",
    "RMSprop",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StepDecay",
    "SumSquaredError",
    "Tanh",
    "Trace",
    "TrainingDivergedError",
    "TrainingWarning",
    "Watchdog",
    "__version__",
    "datasets",
    "diagnose",
    "explain",
    "gradcheck",
    "initializers",
    "load",
    "save",
    "tables",
]


def __getattr__(name: str) -> object:
    # the scikit-learn estimators need the optional extra: import them only when asked for
    if name in ("NeuralNetClassifier", "NeuralNetRegressor"):
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
