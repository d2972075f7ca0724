"""Invariants by construction (issue 15): every vehicle drawn from the declared parameter ranges (all four
architectures) over random cycles (uniform, sub-second, uneven, coarse, graded) is either refused at load
time with one clear line, or keeps every invariant: energy balance < 1e-9, SOC in [soc_min, soc_max], no
NaN/inf, fuel >= 0. And every mutated vehicle file is either refused with one line naming the file, a
``key = value`` and the allowed range or rule, or keeps the invariants.

CI runs a small derandomized profile (``ci``); a longer random one on demand::

    HYBRIDSIM_FUZZ_PROFILE=long pytest tests/test_invariants.py

The seeded harness over thousands of files is ``benchmarks/fuzz_issue15.py``.
"""

from __future__ import annotations

import os
import random

import pytest
from fuzz_tools import BASES, draw_vehicle, invariant_breaks, random_cycle, refusal_problems, write_variant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hybridsim as hs

settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=400, derandomize=False, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile(os.environ.get("HYBRIDSIM_FUZZ_PROFILE", "ci"))
KINDS = ("uniform", "subsecond", "uneven", "coarse", "grade")


@pytest.mark.parametrize("arch", sorted(BASES))
@settings(PROFILE)
@given(seed=st.integers(0, 2**32 - 1), n_params=st.integers(1, 3), kind=st.sampled_from(KINDS))
def test_drawn_vehicles_keep_the_invariants_or_are_refused(arch, seed, n_params, kind):
    rng = random.Random(seed)
    v, changes, refusal = draw_vehicle(rng, arch, n_params)
    if refusal is not None:
        assert "\n" not in refusal.strip() and " = " in refusal, (changes, refusal)
        return
    cycle = random_cycle(rng, kind, duration_s=rng.uniform(20.0, 60.0))
    ds = hs.simulate(v, cycle)
    assert invariant_breaks(v, ds, hs.summarize(ds)) == [], (changes, kind)


@settings(PROFILE)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_vehicle_files_are_refused_clearly_or_keep_the_invariants(tmp_path_factory, seed):
    rng = random.Random(seed)
    path, files = write_variant(rng, tmp_path_factory.mktemp("fuzz"), 0)
    try:
        v = hs.read_vehicle(path)
    except ValueError as exc:
        assert refusal_problems(str(exc), files) == [], str(exc)
        return
    ds = hs.simulate(v, random_cycle(rng, duration_s=30.0))
    assert invariant_breaks(v, ds, hs.summarize(ds)) == []
