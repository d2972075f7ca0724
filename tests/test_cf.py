"""Results describe themselves (CF conventions): UDUNITS units, global attributes naming the run
conditions, integer states with flag values, phase labels, units on sweep coordinates."""

import hashlib

import cf_units
import numpy as np
import pytest
import xarray as xr

import hybridsim as hs
from hybridsim import results
from hybridsim.batch import sweep
from hybridsim.units import KWH_PER_100KM, L_PER_100KM


def test_every_unit_parses_with_udunits():
    units = [v.units for v in results.VARIABLES.values() if v.units]
    units += [v.units for v in results.SUMMARY_VARIABLES.values()]
    units += [u for u, _ in results.RUN_ATTRS.values()]
    for u in units:
        cf_units.Unit(u)  # raises on a string UDUNITS cannot parse
    # the consumption units mean what they say: litres (kWh) per 100 km, not (litres/100)·km
    assert cf_units.Unit(L_PER_100KM).convert(1.0, "m2") == pytest.approx(1e-3 / 1e5)
    assert cf_units.Unit(KWH_PER_100KM).convert(1.0, "J m-1") == pytest.approx(3.6e6 / 1e5)
    with pytest.raises(ValueError):
        cf_units.Unit("kWh/100 km")  # the old spelling did not parse


@pytest.fixture(scope="module")
def ralink_ds():
    return hs.simulate(hs.load_vehicle("ralink"), hs.load_cycle("wltc"))


def test_global_attributes_name_the_run(ralink_ds):
    a = ralink_ds.attrs
    assert a["Conventions"].startswith("CF-")
    assert "Levin" in a["title"] and "wltc_class3b" in a["title"]
    assert "simulate('ralink', 'wltc_class3b'" in a["history"] and hs.__version__ in a["history"]
    v = hs.load_vehicle("ralink")
    digest = hashlib.sha256(open(v.source, "rb").read()).hexdigest()
    assert a["vehicle_file_sha256"] == digest and digest[:16] in a["source"]
    for part in (f"hybridsim {hs.__version__}", "ralink.toml", "cycle wltc_class3b", "strategy ThsController",
                 "hot start", "charge-balanced"):
        assert part in a["source"], part
    assert a["charge_balanced"] == 1 and a["cold_start"] == 0 and a["strategy"] == "ThsController"


def test_run_conditions_are_echoed_in_the_summary():
    v = hs.load_vehicle("ralink")
    raw = hs.simulate(v, hs.load_cycle("wltc"), soc_init=0.6, soc_balance=False)
    s = hs.summarize(raw)
    assert s["charge_balanced"] is False and "not charge-balanced" in s["soc_handling"]
    assert f"{s['soc_start']:.3f} -> {s['soc_end']:.3f}" in raw.attrs["source"]
    cold = hs.simulate(hs.load_vehicle("xingyue_l"), hs.load_cycle("nedc"), cold_start=True, ambient_temp_c=-7.0)
    sc = hs.summarize(cold)
    assert sc["cold_start"] is True and sc["ambient_temp_c"] == -7.0 and sc["soc_handling"] == "no traction battery"
    assert "cold start at -7 degC" in cold.attrs["source"]
    small = hs.summarize(hs.simulate(v, hs.load_cycle("nedc"), record=False))
    assert small["charge_balanced"] is True and "charge-balanced" in small["soc_handling"]


def test_integer_states_carry_flags(ralink_ds, tmp_path):
    mode = ralink_ds["engine_mode"]
    assert np.issubdtype(mode.dtype, np.integer)
    assert list(mode.attrs["flag_values"]) == [0, 1, 2]
    assert mode.attrs["flag_meanings"].split() == ["off", "fuelled", "spun_unfuelled"]
    assert set(np.unique(mode.values)) <= {0, 1, 2}
    tank = hs.simulate(hs.load_vehicle("tank300_hi4t"), hs.load_cycle("nedc"))
    for name in ("gear", "clutch_state", "charge_sustaining"):
        assert np.issubdtype(tank[name].dtype, np.integer), name
    assert len(tank["clutch_state"].attrs["flag_meanings"].split()) == len(tank["clutch_state"].attrs["flag_values"])
    path = tmp_path / "ralink.nc"
    ralink_ds.to_netcdf(path)
    back = xr.load_dataset(path)
    assert np.issubdtype(back["engine_mode"].dtype, np.integer) and back.attrs["Conventions"].startswith("CF-")


def test_phase_labels_are_a_coordinate(ralink_ds):
    cycle = hs.load_cycle("wltc")
    phase = ralink_ds["phase"]
    assert phase.dims == ("time",)
    t = ralink_ds["time"].values
    for ph in cycle.phases:
        inside = (t > ph.start_s) & (t < ph.end_s)
        assert set(phase.values[inside]) == {ph.name}
    # the boundary sample belongs to the earlier phase
    assert phase.sel(time=589.0).item() == "low" and phase.sel(time=590.0).item() == "medium"
    no_phases = hs.Cycle(name="no_phases", time_s=cycle.time_s[:100], speed_mps=cycle.speed_mps[:100],
                         grade=cycle.grade[:100])
    assert "phase" not in hs.simulate(hs.load_vehicle("xingyue_l"), no_phases).coords


def test_sweep_coordinates_carry_units():
    v = hs.load_vehicle("xingyue_l")
    c = hs.load_cycle("wltc")
    short = hs.Cycle(name="first_200s", time_s=c.time_s[:201], speed_mps=c.speed_mps[:201], grade=c.grade[:201])
    ds = sweep(v, short, {"chassis.mass_kg": [1700.0, 1800.0], "engine.peak_power_kw": [160.0, 175.0]},
               summary_only=True)
    assert ds["chassis.mass_kg"].attrs["units"] == "kg"
    assert ds["engine.peak_power_kw"].attrs["units"] == "kW"
    assert ds["simulated_mass_kg"].attrs["units"] == "kg"  # curb + payload: named unlike chassis.mass_kg
    for name in ("chassis.mass_kg", "engine.peak_power_kw", "simulated_mass_kg"):
        cf_units.Unit(ds[name].attrs["units"])
    assert "history" in ds.attrs and ds.attrs["Conventions"].startswith("CF-")
