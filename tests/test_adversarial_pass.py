"""Every case of the adversarial pass (`tests/adversarial_pass.py`) ends cleanly.

The pass is the reliability issue's hostile calls, files, threads and numbers, kept as a script
anyone can rerun against any version; here each case is one test, so that none of them comes back.
"""

from __future__ import annotations

import pytest

import adversarial_pass as adversarial


@pytest.mark.parametrize(
    "fn", [fn for _, _, fn in adversarial.CASES], ids=[name for _, name, _ in adversarial.CASES]
)
def test_the_case_ends_cleanly(fn):
    outcome, detail = adversarial.run_case(fn, timeout=60.0)
    assert outcome == "clean", detail
