"""Shared fixtures: the shipped Xingyue L (the conventional reference vehicle) and its file text."""

from __future__ import annotations

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
