"""Shared fixtures: the shipped Xingyue L (the conventional reference vehicle) and its file text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hybridsim import load_vehicle
from hybridsim._resources import data_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def xingyue():
    return load_vehicle("xingyue_l")


@pytest.fixture(scope="session")
def xingyue_toml_text() -> str:
    return (data_dir("vehicles") / "xingyue_l.toml").read_text(encoding="utf-8")


# Under CI (``.ci/run`` sets HYBRIDSIM_STRICT_DEPS=1) a test skipped because a module could not be imported
# fails instead: everything the tests need comes with the ``test`` extra, so such a skip means the extra
# is incomplete and CI would otherwise pass only on a machine that happens to have the package.
_IMPORT_SKIP_MARKERS = ("could not import", "No module named", "ModuleNotFoundError", "ImportError")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("HYBRIDSIM_STRICT_DEPS") != "1" or not report.skipped:
        return
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
    if any(m in reason for m in _IMPORT_SKIP_MARKERS):
        report.outcome = "failed"
        report.longrepr = f"skipped for a missing dependency the test extra should provide: {reason}"
