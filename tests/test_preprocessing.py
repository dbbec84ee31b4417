"""Standardization learned block by block (`Moments`): what `glassnet train --stream` stores is
the whole file's mean and standard deviation, as `Preprocessing.fit` finds them in memory."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.errors import DataError
from glassnet.preprocessing import Moments, Preprocessing


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 400),
    cuts=st.lists(st.integers(0, 400), max_size=6),
    magnitudes=st.lists(st.sampled_from([1e-300, 1e-3, 1.0, 1e5, 1e300]), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_moments_of_blocks_are_the_moments_of_the_whole(
    n: int, cuts: list[int], magnitudes: list[float], seed: int
) -> None:
    # columns of very different sizes, and blocks whose largest value grows (the unit rescales)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * magnitudes + [0.0, 5.0, -3.0]
    X[rng.integers(0, n), 1] *= 1e3
    whole = Preprocessing.fit(X, np.zeros(n), features=["a", "b", "c"], target="y",
                              task="regression")  # fmt: skip
    moments = Moments(3)
    edges = [0, *sorted(min(c, n) for c in cuts), n]
    for start, stop in pairwise(edges):
        moments.update(X[start:stop])  # empty blocks too
    mean, scale = moments.standardization(["a", "b", "c"], source="X")
    peak = np.abs(X).max(axis=0)  # a mean near 0 is exact up to rounding of the column's peak
    np.testing.assert_allclose(mean / peak, whole.mean / peak, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scale, whole.scale, rtol=1e-9)


def test_moments_of_one_block_are_fits_to_the_bit() -> None:
    X = np.random.default_rng(1).standard_normal((500, 4)) * [1, 1e-8, 1e8, 3] + 2
    mean, scale = Moments.of(X).standardization(list("abcd"), source="X")
    prep = Preprocessing.fit(X, np.zeros(500), features=list("abcd"), target="y",
                             task="regression")  # fmt: skip
    assert np.array_equal(mean, prep.mean) and np.array_equal(scale, prep.scale)


def test_moments_refuse_values_too_large_to_standardize_naming_the_column() -> None:
    moments = Moments(2)
    moments.update(np.array([[1.0, 1.7e308], [2.0, 1.7e308]]))
    moments.update(np.array([[3.0, -1.7e308]]))
    with pytest.raises(DataError, match=r"big.csv, column 'b': values up to 1.7e\+308"):
        moments.standardization(["a", "b"], source="big.csv")


def test_moments_of_no_rows_are_an_error() -> None:
    with pytest.raises(DataError, match="no rows"):
        Moments(2).standardization(["a", "b"], source="empty.csv")
