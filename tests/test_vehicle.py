"""Loading, immutability, sweeps (replace_path) and validation of vehicle files (hybridsim.vehicle)."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridsim import UnknownNameError, Vehicle, list_vehicles, load_vehicle, read_vehicle, replace_path
from hybridsim.components.chassis import Chassis
from hybridsim.components.engine import Engine
from hybridsim.components.gearbox import Transmission

# --- loading ----------------------------------------------------------------------------------------


def test_list_vehicles_contains_xingyue():
    names = list_vehicles()
    assert "xingyue_l" in names
    assert names == sorted(names)


def test_load_vehicle_gives_validated_components(xingyue):
    v = xingyue
    assert isinstance(v, Vehicle)
    assert v.id == "xingyue_l"
    assert v.architecture == "conventional"
    assert isinstance(v.chassis, Chassis)
    assert isinstance(v.engine, Engine)
    assert isinstance(v.transmission, Transmission)
    # integers in the file are coerced to float once, at load
    assert type(v.chassis.mass_kg) is float and v.chassis.mass_kg == 1760.0
    assert type(v.engine.peak_power_kw) is float and v.engine.peak_power_kw == 175.0
    assert v.transmission.gear_ratios == (5.250, 3.029, 1.950, 1.457, 1.221, 1.000, 0.809, 0.673)
    assert all(type(r) is float for r in v.transmission.gear_ratios)
    assert v.claims and v.claims[0].quantity == "accel_0_100_s"
    assert v.source.endswith("xingyue_l.toml")


def test_vehicle_is_frozen(xingyue):
    with pytest.raises(dataclasses.FrozenInstanceError):
        xingyue.name = "something else"
    with pytest.raises(dataclasses.FrozenInstanceError):
        xingyue.chassis.mass_kg = 1900.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        xingyue.engine.peak_power_kw = 200.0


def test_replace_path_returns_new_vehicle(xingyue):
    v2 = replace_path(xingyue, "chassis.mass_kg", 1900)
    assert v2 is not xingyue
    assert type(v2.chassis.mass_kg) is float and v2.chassis.mass_kg == 1900.0
    assert xingyue.chassis.mass_kg == 1760.0  # original untouched
    assert load_vehicle("xingyue_l").chassis.mass_kg == 1760.0  # and the cached copy too
    # everything else is shared/equal
    assert v2.engine is xingyue.engine
    assert dataclasses.replace(v2.chassis, mass_kg=1760.0) == xingyue.chassis


def test_replace_path_bad_value_names_the_key(xingyue):
    with pytest.raises(ValueError, match=r"chassis\.mass_kg") as exc:
        replace_path(xingyue, "chassis.mass_kg", -5)
    assert "-5" in str(exc.value)
    assert ">= 100" in str(exc.value)


@pytest.mark.parametrize("path", ["chassis.mass", "chassis", "wings.span_m", "chassis.mass_kg.x", ""])
def test_replace_path_bad_path(xingyue, path):
    with pytest.raises(ValueError, match="parameter path"):
        replace_path(xingyue, path, 1.0)


def test_replace_path_revalidates_cross_checks(xingyue):
    # 250 kW at 5500 rpm needs 434 N·m > 350 N·m peak torque
    with pytest.raises(ValueError, match=r"engine\.peak_power_kw = 250"):
        replace_path(xingyue, "engine.peak_power_kw", 250.0)


def test_unknown_vehicle_name_suggests_close_match():
    with pytest.raises(UnknownNameError) as exc:
        load_vehicle("xingyue")
    assert isinstance(exc.value, ValueError)
    assert "xingyue_l" in exc.value.suggestions
    assert "did you mean xingyue_l" in str(exc.value)


# --- validation on load: variants of the shipped file -----------------------------------------------


def _drop_line(key: str):
    return lambda s: re.sub(rf"^{key}\s*=.*\n", "", s, count=1, flags=re.M)


def _sub(old: str, new: str):
    def f(s: str) -> str:
        assert old in s, f"fixture text changed: {old!r} not found"
        return s.replace(old, new, 1)

    return f


_TC = """
[test_conditions.epa]
test_mass_kg = 1530.9
road_load_f0_n = 81.3
road_load_f1_n_per_kmh = 0.8
road_load_f2_n_per_kmh2 = 0.024
source = "a test"
"""

# id: (edit of the file text, fragments the one error message must contain besides the file path)
BAD_FILES = {
    "missing_key": (_drop_line("peak_power_kw"), ["engine.peak_power_kw", "None", "required"]),
    "wrong_type": (_sub("mass_kg = 1760", 'mass_kg = "heavy"'), ["chassis.mass_kg", "'heavy'", "number"]),
    "negative_mass": (_sub("mass_kg = 1760", "mass_kg = -5"), ["chassis.mass_kg", "-5", ">= 100", "<= 10000"]),
    "efficiency_above_1": (_sub("final_drive_efficiency = 0.96", "final_drive_efficiency = 1.2"),
                           ["transmission.final_drive_efficiency", "1.2", ">= 0.5", "<= 1"]),
    "gear_ratios_not_monotonic": (_sub("[5.250, 3.029,", "[3.029, 5.250,"),
                                  ["transmission.gear_ratios", "3.029, 5.25", "strictly decreasing"]),
    "key_typo": (_sub("mass_kg = 1760", "mass_kgg = 1760"),
                 ["chassis.mass_kgg", "1760", "unknown key", "did you mean 'mass_kg'", "allowed keys"]),
    "unknown_table": (lambda s: s + "\n[wings]\nspan_m = 1.0\n", ["[wings]", "span_m", "unknown table",
                                                                  "allowed tables", "chassis"]),
    "wrong_architecture": (_sub('architecture = "conventional"', 'architecture = "steam"'),
                           ["vehicle.architecture", "'steam'", "conventional"]),
    "invalid_toml": (_sub("mass_kg = 1760", "mass_kg = = 1760"), ["not valid TOML", "line"]),
    "gear_efficiencies_length": (_sub("0.955, 0.95]", "0.955]"),
                                 ["transmission.gear_efficiencies", "0.965, 0.955]", "8 gears"]),
    "power_vs_torque": (_sub("peak_power_kw = 175", "peak_power_kw = 250"),
                        ["engine.peak_power_kw", "250", "434 N·m", "peak_torque_nm = 350"]),
    "partial_coastdown": (_sub("[chassis]\n", "[chassis]\nroad_load_f0_n = 150\n"),
                          ["chassis.road_load_f0_n", "150", "None", "all three"]),
    # coast-down coefficients contain the drag: a C_d next to them would be silently ignored
    "cd_with_coastdown": (_sub("[chassis]\n", "[chassis]\nroad_load_f0_n = 150\nroad_load_f1_n_per_kmh = 0.5\n"
                                              "road_load_f2_n_per_kmh2 = 0.03\n"),
                          ["chassis.drag_coefficient", "0.33", "not used", "coast-down"]),
    "test_conditions_unknown_procedure": (
        lambda s: s + _TC.replace("[test_conditions.epa]", "[test_conditions.jc08]"),
        ["[test_conditions.jc08]", "unknown procedure", "'jc08'", "epa, wltp, nedc"]),
    "test_conditions_missing_mass": (lambda s: s + _TC.replace("test_mass_kg = 1530.9\n", ""),
                                     ["test_conditions.epa.test_mass_kg", "None", "required", ">= 100"]),
    "test_conditions_key_typo": (lambda s: s + _TC.replace("road_load_f0_n", "road_load_f0"),
                                 ["test_conditions.epa.road_load_f0", "unknown key", "did you mean"]),
    "test_conditions_negative_road_load": (
        lambda s: s + _TC.replace("road_load_f1_n_per_kmh = 0.8", "road_load_f1_n_per_kmh = -3.2"),
        ["test_conditions.epa.road_load_f1_n_per_kmh", "-3.2", "stays > 0", "300 km/h", "-25.4 N at 67 km/h"]),
}


def _read_error(tmp_path, text: str, name: str = "car.toml") -> tuple[str, str]:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as exc:
        read_vehicle(p)
    err = exc.value
    # ONE plain ValueError: no chained cause, no exception group
    assert type(err) is ValueError
    assert err.__cause__ is None
    return str(err), str(p)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_raises_one_clear_error(tmp_path, xingyue_toml_text, case):
    edit, fragments = BAD_FILES[case]
    text = edit(xingyue_toml_text)
    assert text != xingyue_toml_text
    msg, path = _read_error(tmp_path, text)
    assert msg.startswith(path), msg
    assert msg.count("\n") == 0, msg  # one line
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"


# The design asks every bad-value message for "the allowed range".
def test_missing_key_message_gives_range(tmp_path, xingyue_toml_text):
    msg, _ = _read_error(tmp_path, _drop_line("peak_power_kw")(xingyue_toml_text))
    assert ">= 1" in msg and "<= 1500" in msg, msg


def test_wrong_type_message_gives_range(tmp_path, xingyue_toml_text):
    msg, _ = _read_error(tmp_path, _sub("mass_kg = 1760", 'mass_kg = "heavy"')(xingyue_toml_text))
    assert ">= 100" in msg and "<= 10000" in msg, msg


def test_missing_file(tmp_path):
    p = tmp_path / "nowhere.toml"
    with pytest.raises(ValueError) as exc:
        read_vehicle(p)
    assert str(p) in str(exc.value)
    assert "not found" in str(exc.value)


def test_file_stem_becomes_id(tmp_path, xingyue_toml_text):
    p = tmp_path / "my_car.toml"
    p.write_text(xingyue_toml_text, encoding="utf-8")
    v = read_vehicle(p)
    assert v.id == "my_car"
    assert v.chassis == load_vehicle("xingyue_l").chassis


# --- property: the mass range -----------------------------------------------------------------------

MASS_LO, MASS_HI = 100.0, 10000.0  # chassis.mass_kg allowed range (inclusive)


@pytest.fixture(scope="module")
def mass_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mass")


def _with_mass(text: str, x: float) -> str:
    return _sub("mass_kg = 1760", f"mass_kg = {x!r}")(text)  # repr(float) is valid TOML (inf, nan too)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(min_value=MASS_LO, max_value=MASS_HI))
def test_any_mass_in_range_loads(mass_dir, xingyue_toml_text, x):
    p = mass_dir / "in_range.toml"
    p.write_text(_with_mass(xingyue_toml_text, x), encoding="utf-8")
    assert read_vehicle(p).chassis.mass_kg == x


@settings(max_examples=40, deadline=None)
@given(x=st.one_of(
    st.floats(max_value=MASS_LO, exclude_max=True, allow_nan=False),
    st.floats(min_value=MASS_HI, exclude_min=True, allow_nan=False),
    st.just(math.nan),
))
def test_any_mass_out_of_range_raises(mass_dir, xingyue_toml_text, x):
    p = mass_dir / "out_of_range.toml"
    p.write_text(_with_mass(xingyue_toml_text, x), encoding="utf-8")
    with pytest.raises(ValueError) as exc:
        read_vehicle(p)
    msg = str(exc.value)
    assert msg.startswith(str(p)) and "chassis.mass_kg" in msg
    assert ("allowed >= 100 and <= 10000" in msg) if math.isfinite(x) else ("finite" in msg)


@pytest.mark.parametrize("name", list_vehicles())
def test_vehicles_pickle_round_trip(name):
    import pickle

    v = load_vehicle(name)
    w = pickle.loads(pickle.dumps(v))
    assert w == v and w.motors == v.motors and type(w.motors) is type(v.motors)


def test_replace_path_takes_a_list_for_a_tuple_parameter():
    v = replace_path(load_vehicle("xingyue_l"), "transmission.gear_ratios",
                     [4.0, 2.5, 1.8, 1.4, 1.0, 0.8, 0.7, 0.6])
    assert v.transmission.gear_ratios == (4.0, 2.5, 1.8, 1.4, 1.0, 0.8, 0.7, 0.6)


@pytest.mark.parametrize("name", ["tank300_hi4t", "taycan_turbo_s", "ralink"])
def test_a_copied_shipped_vehicle_file_finds_its_maps_and_base(tmp_path, name):
    """Copy a shipped file elsewhere to edit it: its relative maps/ and extends fall back to the shipped ones."""
    from hybridsim._resources import data_dir

    copy = tmp_path / f"my_{name}.toml"
    copy.write_text((data_dir("vehicles") / f"{name}.toml").read_text())
    assert read_vehicle(copy) == dataclasses.replace(load_vehicle(name), id=f"my_{name}", source=str(copy))


# --- test conditions, negative F1, coast-down vs C_d -------------------------------------------------------

def test_test_conditions_loaded_with_their_procedure(tmp_path, xingyue_toml_text):
    p = tmp_path / "car.toml"
    p.write_text(xingyue_toml_text + _TC.replace("source", 'test_mass_name = "ETW"\nsource'), encoding="utf-8")
    v = read_vehicle(p)
    tc = v.test_conditions["epa"]
    assert (tc.procedure, tc.test_mass_name, tc.test_mass_kg) == ("epa", "ETW", 1530.9)
    assert tc.coefficients == (81.3, 0.8, 0.024)
    assert load_vehicle("xingyue_l").test_conditions == {}  # files without the table: nothing changes
    # a sweep reaches them by their file path; the pickle round trip keeps them
    w = replace_path(v, "test_conditions.epa.road_load_f0_n", 90.0)
    assert w.test_conditions["epa"].road_load_f0_n == 90.0 and v.test_conditions["epa"].road_load_f0_n == 81.3
    import pickle

    assert pickle.loads(pickle.dumps(w)) == w


def test_negative_f1_accepted_while_the_road_load_stays_positive():
    # Toyota Corolla 1.8 CVT style: B = −0.10417 lbf/mph → F1 = −0.288 N/(km/h); F stays positive
    ch = load_vehicle("ralink").chassis
    ok = dataclasses.replace(ch, road_load_f0_n=100.0, road_load_f1_n_per_kmh=-0.288, road_load_f2_n_per_kmh2=0.025)
    assert ok.road_load_coefficients()[1] == -0.288
    # minimum of 100 − 2·v + 0.01·v² at v = 100 km/h: 0 N → refused, naming the field, the value and where
    with pytest.raises(ValueError, match=r"chassis\.road_load_f1_n_per_kmh = -2\.0: .*stays > 0.* 0\.0 N at 100 km/h"):
        dataclasses.replace(ch, road_load_f0_n=100.0, road_load_f1_n_per_kmh=-2.0, road_load_f2_n_per_kmh2=0.01)
    # F2 = 0 with a negative F1: the force falls all the way to the end of the checked range
    with pytest.raises(ValueError, match="at 300 km/h"):
        dataclasses.replace(ch, road_load_f0_n=100.0, road_load_f1_n_per_kmh=-0.5, road_load_f2_n_per_kmh2=0.0)


def test_sweeping_an_ignored_drag_coefficient_is_refused():
    from hybridsim.batch import sweep
    from hybridsim.cycles import load_cycle

    v = load_vehicle("ralink")  # coast-down coefficients: C_d would do nothing
    with pytest.raises(ValueError, match="chassis.drag_coefficient = 0.3: not used when the coast-down"):
        replace_path(v, "chassis.drag_coefficient", 0.3)
    with pytest.raises(ValueError, match="drag_coefficient"):
        sweep(v, load_cycle("nedc"), {"chassis.drag_coefficient": [0.28, 0.30]}, summary_only=True)


def test_battery_polarisation_branch_refused_outside_the_ths_plants():
    """The 1-RC branch is a state of the THS-II plants only: elsewhere it is refused at the boundary, naming the
    field (not silently run as Rint)."""
    v = load_vehicle("tank300_hi4t")
    bat = dataclasses.replace(v.battery, polarisation_fraction=0.3)
    with pytest.raises(ValueError, match=r"battery\.polarisation_fraction = 0\.3: .*allowed 0 for architecture 'p2'"):
        dataclasses.replace(v, battery=bat)
    assert load_vehicle("prius_2016").battery.has_polarisation
