"""The architecture registry (``hybridsim/architectures.py``, issue 14 item 3): one entry is everything an
architecture is, and every consumer reads it.

Behaviour: an architecture registered at run time (a copy of THS-II with a runner of its own that records one
more variable) is accepted by the vehicle loader, simulated, turned into a Dataset with its own variable,
summarised, plotted, run at full load and through a type-approval procedure, exactly as the THS-II it copies.
Structure: no module but the registry names an architecture, and the old per-module tables are views of it.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import hybridsim as hs
from hybridsim import architectures as reg
from hybridsim.architectures import Var

ROOT = Path(hs.__file__).parent


def _extended(out):
    """The THS kernel output plus the total machine DC power (a variable only the copy records)."""
    fields = (*out._fields, "machines_electric_power_w")
    Out = NamedTuple("ThsCopyOut", [(f, np.ndarray) for f in fields])
    return Out(*out, out.mg1_electric_power_w + out.mg2_electric_power_w)


def run_copy(vehicle, cycle, **kw):
    """The copy's runner: the THS-II runner, and the extra variable."""
    from hybridsim.powertrains.ths import run

    out, attrs = run(vehicle, cycle, **kw)
    return _extended(out), attrs


@pytest.fixture
def ths_copy():
    base = reg.ARCHITECTURES["ths"]
    arch = dataclasses.replace(
        base, name="ths_copy", runner=f"{__name__}:run_copy", fastsim=None,
        variables={"machines_electric_power": Var("W", "MG1 + MG2 DC power (> 0 motoring)")},
        kernel_names={**base.kernel_names, "machines_electric_power_w": "machines_electric_power"})
    reg.register(arch)
    yield arch
    reg.unregister("ths_copy")


def test_registered_architecture_runs_everywhere(ths_copy):
    from hybridsim import performance, plot, procedures, results, vehicle
    from hybridsim.powertrains import RUNNERS, STRATEGIES

    v = hs.load_vehicle("ralink")
    c = dataclasses.replace(v, architecture="ths_copy")  # validated against the new entry
    assert "ths_copy" in vehicle.ARCHITECTURES and "ths_copy" in RUNNERS
    assert STRATEGIES["ths_copy"] == ("rule_based", "ecms", "dp")
    assert results.VARIABLES["machines_electric_power"].units == "W"
    cyc = hs.load_cycle("nedc")
    ds0, ds1 = hs.simulate(v, cyc), hs.simulate(c, cyc)
    assert ds1.attrs["architecture"] == "ths_copy"
    assert_array_equal(ds1["machines_electric_power"].values,
                       ds0["mg1_electric_power"].values + ds0["mg2_electric_power"].values)
    assert ds1["machines_electric_power"].attrs["units"] == "W"
    for name in ds0.data_vars:
        assert_array_equal(ds1[name].values, ds0[name].values, err_msg=name)
    s0, s1 = hs.summarize(ds0), hs.summarize(ds1)
    assert s1["fuel_l_per_100km"] == s0["fuel_l_per_100km"]
    # its strategies, its initial state, its full-load model, its procedures' branch, its plot labels
    assert hs.simulate(c, cyc, strategy="ecms")["fuel_rate"].sum() == hs.simulate(v, cyc, strategy="ecms")[
        "fuel_rate"].sum()
    with pytest.raises(ValueError, match="charge_sustaining"):
        hs.simulate(c, cyc, initial_state={"charge_sustaining": True})
    assert performance.acceleration(c, 0, 60) == performance.acceleration(v, 0, 60)
    assert procedures.nedc(c)["fuel_l_per_100km"] == procedures.nedc(v)["fuel_l_per_100km"]
    assert plot._motor_speeds(ds1) == {"mg1_speed": "MG1", "mg2_speed": "MG2"}


def test_unregistered_architecture_is_refused(ths_copy):
    v = dataclasses.replace(hs.load_vehicle("ralink"), architecture="ths_copy")
    reg.unregister("ths_copy")
    with pytest.raises(ValueError, match="architecture = 'ths_copy': must be one of"):
        dataclasses.replace(v)
    reg.register(ths_copy)


def test_register_checks_its_entry(ths_copy):
    with pytest.raises(ValueError, match="already registered"):
        reg.register(ths_copy)
    clash = dataclasses.replace(ths_copy, name="other", variables={"mg1_speed": Var("rpm", "another meaning")})
    with pytest.raises(ValueError, match="defined differently"):
        reg.register(clash)
    with pytest.raises(ValueError, match="initial_state"):
        dataclasses.replace(ths_copy, initial_state=("coolant_temperature",))
    with pytest.raises(ValueError, match="rule_based"):
        dataclasses.replace(ths_copy, strategies=("ecms",))


def test_every_entry_resolves():
    """Each shipped entry's runner, full-load model and vehicle check exist, and its variables and kernel names
    match its kernel's output (every output field is named, every name is a known variable)."""
    from hybridsim.results import KERNEL_NAMES, VARIABLES

    for name, a in reg.ARCHITECTURES.items():
        assert callable(a.run), name
        assert callable(a.full_load_model.force) and callable(a.full_load_model.speed_cap_mps), name
        assert set(a.kernel_names.values()) <= set(VARIABLES), name
        assert set(a.variables) <= set(a.kernel_names.values()), name
        vid = {"conventional": "xingyue_l", "ths": "ralink", "p2": "tank300_hi4t", "bev": "taycan_turbo"}.get(name)
        if vid is None:  # an architecture added later: any shipped vehicle of it
            vid = next(i for i in hs.list_vehicles() if hs.load_vehicle(i).architecture == name)
        v = hs.load_vehicle(vid)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, _ = a.run(v, hs.load_cycle("nedc"), cold_start=False, ambient_temp_c=23.0, soc_init=None,
                           soc_balance=False)
        assert all(f in KERNEL_NAMES for f in out._fields), name


def test_views_follow_the_registry(ths_copy):
    from hybridsim import fastsim_import
    from hybridsim.procedures import _common, checks

    assert "ths_copy" not in _common.PLUGIN_ARCHITECTURES and "p2" in _common.PLUGIN_ARCHITECTURES
    assert tuple(_common.ELECTRIC_ARCHITECTURES) == ("bev",)
    assert "ths_copy" in checks.architectures_of(checks.HYBRIDS)
    assert dict(fastsim_import.ARCHITECTURES)["HybridElectricVehicle"] == ("ths", "ralink")


#: What a module keeps when it has its own per-architecture list: a comparison with an architecture's name, a
#: tuple of names, a dict keyed by names.
_NAMES = "|".join(reg.ARCHITECTURES)
_PER_ARCHITECTURE = re.compile(
    rf"""(==|!=|\bin)\s*\(?\s*["']({_NAMES})["']"""  # architecture == "bev", in ("p2", ...)
    rf"""|^\s*["']({_NAMES})["']\s*:"""  # "ths": ... (a dict keyed by architecture)
    rf"""|\(\s*["']({_NAMES})["']\s*,\s*["']({_NAMES})["']""",  # ("conventional", "ths", ...)
    re.MULTILINE)


def test_no_module_keeps_its_own_architecture_list():
    """Only the registry names the architectures; everything else asks it (a motor named "p2" is not an
    architecture: ``motors["p2"]`` does not match)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "architectures.py" and path.parent == ROOT:
            continue
        for m in _PER_ARCHITECTURE.finditer(path.read_text(encoding="utf-8")):
            line = m.string.count("\n", 0, m.start()) + 1
            found.append(f"{path.relative_to(ROOT.parent)}:{line}: {m.group(0).strip()}")
    assert found == [], "per-architecture lists outside hybridsim/architectures.py:\n" + "\n".join(found)


def test_the_grep_finds_a_per_architecture_list():
    """The pattern above does find the lists it is meant to forbid (so the test can fail)."""
    for text in ('if v.architecture == "bev":', 'X = ("conventional", "ths")', '    "p2": p2.run,',
                 'a in ("p2", "bev")'):
        assert _PER_ARCHITECTURE.search(text), text
    assert not _PER_ARCHITECTURE.search('m = v.motors["p2"]')
