"""CVT (transmission.kind = "cvt"): loss model by hand, the ratio on the engine's operating line, kernel vs the
slow reference, energy balance on every shipped cycle hot and cold, bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose
from reference_conventional import OUTPUTS, run_reference

import hybridsim as hs
from hybridsim.components.engine import RPM
from hybridsim.components.engine_maps import optimal_operating_line
from hybridsim.core.conventional import cvt_eta, ratio_step
from hybridsim.errors import TraceMissWarning
from hybridsim.results import KERNEL_NAMES


@pytest.fixture(scope="module")
def car():
    return hs.load_vehicle("corolla_18_cvt")


def test_efficiency_and_drag_by_hand(car):
    tr = car.transmission
    cvt = tr.cvt_kernel(car.engine)
    fd = tr.final_drive_ratio
    # ends and the middle of the range: linear in the ratio
    assert_allclose(cvt_eta(cvt, 2.480 * fd), 0.91 * 0.97, rtol=1e-12)
    assert_allclose(cvt_eta(cvt, 0.396 * fd), 0.94 * 0.97, rtol=1e-12)
    mid = 0.5 * (2.480 + 0.396) * fd
    assert_allclose(cvt_eta(cvt, mid), 0.5 * (0.91 + 0.94) * 0.97, rtol=1e-12)
    # traction at 80 km/h through ratio i: T_in = T_w/(i·η) + T_drag; delivered T_w; loss = T_in·ω_in − T_w·ω_w
    eng, gb = car.engine.to_kernel(), tr.to_kernel()
    w_wheel = 80 / 3.6 / car.chassis.wheel_radius_m
    i = 1.0 * fd
    eta = cvt_eta(cvt, i)
    t_w = 300.0
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, _ = ratio_step(eng, gb, i, eta, 3.0, w_wheel, t_w, w_wheel * i, 1.0, 0.0)
    assert ok
    assert_allclose(t_in, t_w / (i * eta) + 3.0, rtol=1e-12)
    assert_allclose(t_wpt, t_w, rtol=1e-12)
    loss = t_in * w_in - t_wpt * w_wheel
    assert_allclose(loss, 3.0 * w_in + t_w * w_wheel * (1 / eta - 1), rtol=1e-12)
    # the overall efficiency rises with the torque (the drag's share falls)
    effs = [t * w_wheel / ((t / (i * eta) + 3.0) * w_wheel * i) for t in (50.0, 200.0, 800.0)]
    assert effs[0] < effs[1] < effs[2] < eta


def test_ratio_follows_the_operating_line_at_steady_speed(car):
    """Cruising at 80 km/h up a 5 % grade (≈ 25 kW: the line's speed is inside the ratio range; on the flat it
    would want less than the overdrive end allows) the engine settles where the operating line puts the power it
    gives (two fixed-point passes per step: within 0.5 % of its speed)."""
    t = np.arange(0.0, 61.0)
    c = hs.Cycle(name="cruise80", time_s=t, speed_mps=np.full(t.size, 80 / 3.6), grade=np.full(t.size, 0.05))
    ds = hs.simulate(car, c)
    e = car.engine
    line = optimal_operating_line(e.data(), e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM)
    w = ds["engine_speed"].values[-1]
    t_in = ds["engine_torque"].values[-1] - car.accessories.crank_power_w / w  # steady: no inertia torque
    w_line = np.interp(t_in * w + car.accessories.crank_power_w, line.power_w, line.speed_rad_s)
    ratio = ds["transmission_ratio"].values[-1]
    fd = car.transmission.final_drive_ratio
    assert 0.396 * fd < ratio < 2.480 * fd  # inside the range: the line, not a stop, sets the ratio
    assert_allclose(w, w_line, rtol=5e-3)
    # …and that point burns less than the stepped neighbours would: the line is the minimum-fuel speed
    assert ds["gear"].values[-1] == 1


@pytest.mark.parametrize("cycle_name", ["wltc_class3b", "nedc", "us06"])
def test_cvt_kernel_matches_reference(car, cycle_name):
    c = hs.load_cycle(cycle_name)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceMissWarning)  # US06 launches: the converter model (see the note)
        ds = hs.simulate(car, c)
    ref = run_reference(car, c)
    for field in OUTPUTS:
        assert_allclose(ds[KERNEL_NAMES[field]].values, ref[field], rtol=1e-9, atol=1e-9, err_msg=field)


@pytest.mark.parametrize("cold", [False, True])
@pytest.mark.parametrize("cycle_name", sorted(hs.list_cycles()))
def test_cvt_invariants_on_every_cycle(car, cycle_name, cold):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceMissWarning)
        ds = hs.simulate(car, hs.load_cycle(cycle_name), cold_start=cold, ambient_temp_c=-7.0 if cold else 23.0)
    s = hs.summarize(ds)
    assert abs(s["energy_balance_rel_error"]) < 1e-9
    fd = car.transmission.final_drive_ratio
    r = ds["transmission_ratio"].values
    assert np.all(r >= 0.396 * fd * (1 - 1e-12)) and np.all(r <= 2.480 * fd * (1 + 1e-12))
    assert np.all(ds["engine_speed"].values <= car.engine.max_speed_rpm * RPM * (1 + 1e-12))
    for name in ("fuel_rate", "engine_torque", "gearbox_loss", "brake_power"):
        assert np.all(np.isfinite(ds[name].values)), name
    assert np.all(ds["gearbox_loss"].values >= -1e-9) and np.all(ds["brake_power"].values >= -1e-6)


def test_cvt_bad_input(tmp_path, car):
    text = open(car.source, encoding="utf-8").read()
    bad = tmp_path / "cvt_bad.toml"
    bad.write_text(text.replace("gear_ratios = [2.480, 0.396]", "gear_ratios = [2.480, 1.2, 0.396]")
                   .replace("gear_efficiencies = [0.91, 0.94]", "gear_efficiencies = [0.91, 0.93, 0.94]"),
                   encoding="utf-8")
    with pytest.raises(ValueError, match=r"cvt_bad\.toml: transmission\.gear_ratios = \[2\.48, 1\.2, 0\.396\]: "
                                         r"out of range for kind = 'cvt', allowed two values"):
        hs.read_vehicle(bad)
    with pytest.raises(ValueError, match=r"transmission\.cvt_drag_torque_nm = 3\.0: out of range for kind = "
                                         r"'automatic', allowed 0"):
        dataclasses.replace(car.transmission, kind="automatic")
    with pytest.raises(ValueError, match=r"transmission\.cvt_drag_torque_nm = 80\.0: .*<= 50"):
        dataclasses.replace(car.transmission, cvt_drag_torque_nm=80.0)


def test_p2_takes_a_cvt_as_ratio_steps():
    """A P2 with a CVT runs on the P2 plant with the CVT's range as ratio steps (tests/test_p2_cvt.py; refused before
    issue 17's P2-CVT: its plant then had discrete gears only); a manual box runs too (tests/test_p2_manual.py)."""
    p2 = hs.load_vehicle("ioniq_hybrid_2022")
    tr = dataclasses.replace(p2.transmission, kind="cvt", gear_ratios=(2.4, 0.4), gear_efficiencies=(0.9, 0.93),
                             converter_k_factor_rpm_per_sqrt_nm=0.0)
    assert dataclasses.replace(p2, transmission=tr).transmission.kind == "cvt"
    tr = dataclasses.replace(p2.transmission, kind="manual", converter_k_factor_rpm_per_sqrt_nm=0.0)
    assert dataclasses.replace(p2, transmission=tr).transmission.kind == "manual"
