"""``simulate(initial_state=...)``: the state a run starts from, as the test procedures chain cycles (issue 14).

The initial state reaches the runner as the same kernel arguments the procedures used to build themselves
(the coolant start through the warm-up model's soak temperature, the plug-in controller's mode as its
keyword), so results are identical; the procedures' old direct-runner path is kept here as the reference.
"""

from __future__ import annotations

import math
import warnings

import pytest
from numpy.testing import assert_array_equal

import hybridsim as hs
from hybridsim.architectures import ARCHITECTURES
from hybridsim.procedures import phev
from hybridsim.results import KERNEL_NAMES, to_dataset


@pytest.fixture(scope="module")
def tank():
    return hs.load_vehicle("tank300_hi4t")


@pytest.fixture(scope="module")
def ralink():
    return hs.load_vehicle("ralink")


@pytest.fixture(scope="module")
def nedc():
    return hs.load_cycle("nedc")


def _same_as_runner(ds, out):
    for f in out._fields:
        assert_array_equal(ds[KERNEL_NAMES[f]].values, getattr(out, f), err_msg=f)


def test_p2_initial_state_is_the_runner_call(tank, nedc):
    """SOC, a coolant still warming up (above simulate()'s ambient range) and the CS mode: the same run as the
    runner called with the warm-up model soaked at that temperature and the mode keyword."""
    state = hs.InitialState(soc=0.3, coolant_c=75.0, charge_sustaining=True)
    ds = hs.simulate(tank, nedc, soc_balance=False, initial_state=state)
    out, _ = ARCHITECTURES["p2"].run(tank, nedc, cold_start=True, ambient_temp_c=75.0, soc_init=0.3,
                                     soc_balance=False, charge_sustaining=True)
    _same_as_runner(ds, out)
    assert ds["coolant_temperature"].values[0] == 75.0
    assert ds.attrs["coolant_init_c"] == 75.0 and ds.attrs["cold_start"] == 1
    assert ds.attrs["ambient_temp_c"] == 23.0  # the ambient is the user's, not the coolant start
    assert int(ds["charge_sustaining"].values[0]) == 1
    # a mapping does the same
    ds2 = hs.simulate(tank, nedc, soc_balance=False,
                      initial_state={"soc": 0.3, "coolant_c": 75.0, "charge_sustaining": True})
    assert_array_equal(ds2["fuel_rate"].values, ds["fuel_rate"].values)


def test_ths_coolant_start_equals_cold_start_at_that_ambient(ralink, nedc):
    """The old arguments keep working, and a coolant start at T is a cold start soaked at T."""
    a = hs.simulate(ralink, nedc, cold_start=True, ambient_temp_c=10.0, soc_balance=False)
    b = hs.simulate(ralink, nedc, initial_state={"coolant_c": 10.0}, soc_balance=False)
    for name in a.data_vars:
        assert_array_equal(a[name].values, b[name].values, err_msg=name)
    c = hs.simulate(ralink, nedc, soc_balance=False, initial_state={"soc": 0.55})
    assert c["soc"].values[0] == 0.55
    assert_array_equal(c["fuel_rate"].values, hs.simulate(ralink, nedc, soc_balance=False, soc_init=0.55)[
        "fuel_rate"].values)


@pytest.mark.parametrize("state, kw, match", [
    ({"coolant": 50.0}, {}, "unknown field"),
    ({"charge_sustaining": True}, {}, "architecture 'ths' .* does not take it"),
    ({"coolant_c": 50.0}, {"cold_start": True}, "give one of them"),
    ({"coolant_c": 150.0}, {}, "out of range, allowed -40 to"),
    ({"soc": 0.5}, {"soc_init": 0.6}, "give one of them"),
])
def test_initial_state_is_checked_at_the_boundary(ralink, nedc, state, kw, match):
    with pytest.raises(ValueError, match=match):
        hs.simulate(ralink, nedc, initial_state=state, **kw)


def test_bev_takes_no_coolant(nedc):
    with pytest.raises(ValueError, match="allowed: soc"):
        hs.simulate(hs.load_vehicle("taycan_turbo"), nedc, initial_state={"coolant_c": 60.0})


def _old_run(vehicle, cycle, soc, coolant_c=None, charge_sustaining=None):
    """procedures/phev.py's ``_run`` before the initial state: the runner called directly (the reference)."""
    if charge_sustaining is not None or (coolant_c is not None and coolant_c > 60.0):
        kw = {} if charge_sustaining is None else {"charge_sustaining": bool(charge_sustaining)}
        out, attrs = ARCHITECTURES[vehicle.architecture].run(
            vehicle, cycle, cold_start=coolant_c is not None, ambient_temp_c=23.0 if coolant_c is None else coolant_c,
            soc_init=soc, soc_balance=False, **kw)
        attrs["cold_start"] = int(coolant_c is not None)
        ds = to_dataset(cycle, out, attrs)
    else:
        ds = hs.simulate(vehicle, cycle, soc_init=soc, soc_balance=False, cold_start=coolant_c is not None,
                         ambient_temp_c=23.0 if coolant_c is None else coolant_c)
    return ds, float(ds["soc"].values[-1])


def _equal(a, b, where=""):
    assert type(a) is type(b) or {type(a), type(b)} <= {int, float}, where
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _equal(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where


@pytest.mark.parametrize("procedure", ["nedc", "wltp"])
def test_plugin_procedures_unchanged(tank, procedure, monkeypatch):
    """Every figure of the plug-in procedures equals the one of the old direct-runner path: the warm second
    cycle of the WLTP charge-depleting test, the CS test's explicit mode, NEDC conditions A and B."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = getattr(hs.procedures, procedure)(tank)
        monkeypatch.setattr(phev, "_run", _old_run)
        old = getattr(hs.procedures, procedure)(tank)
    _equal(new, old, procedure)
