"""Torque-converter torque multiplication (issue 17): the pump speed solves ω_p²·TR(ω_t/ω_p) = K²·T_t with the
linear characteristic of CO2MPAS (TR₀ at stall, 1 from the coupling speed ratio on; components/gearbox.py); only a
file that declares it (``converter_stall_torque_ratio`` > 1) gets it, every other run keeps the coupling model to
the bit (checked against main when it was added; tests/frozen_conventional.py where that frozen copy exists).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings

import numpy as np
import pytest

import hybridsim as hs
from hybridsim.core.driveline import converter_loss_w, converter_pump_speed, converter_torque_ratio
from hybridsim.procedures._common import procedure_test_vehicle
from hybridsim.results import energy_balance
from hybridsim.vehicle import replace_path


@functools.cache
def corolla():
    return procedure_test_vehicle(hs.load_vehicle("corolla_18_cvt"), "epa", 1474.2)[0]


def _gb(tr0, sr_c=0.87, k_rpm=120.0):
    tr = dataclasses.replace(hs.load_vehicle("corolla_18_cvt").transmission, converter_stall_torque_ratio=tr0,
                             converter_coupling_speed_ratio=sr_c, converter_k_factor_rpm_per_sqrt_nm=k_rpm)
    return tr.to_kernel()


@pytest.mark.parametrize("tr0,sr_c", [(1.9, 0.87), (2.4, 0.8), (1.3, 0.95)])
def test_pump_speed_solves_the_k_factor_equation(tr0, sr_c):
    gb = _gb(tr0, sr_c)
    k = gb.converter_k_rad_s_per_sqrt_nm
    for w_t in (0.0, 20.0, 80.0, 150.0, 300.0):
        for t_t in (5.0, 60.0, 150.0, 300.0):
            w_p = converter_pump_speed(gb, w_t, t_t)
            tr = converter_torque_ratio(gb, w_t, w_p)
            assert w_p * w_p * tr == pytest.approx(k * k * t_t, rel=1e-12)
            assert 1.0 <= tr <= tr0
            # by hand: TR linear from tr0 at SR 0 to 1 at sr_c
            sr = w_t / w_p
            assert tr == pytest.approx(tr0 + (1 - tr0) * sr / sr_c if sr < sr_c else 1.0, rel=1e-12)
            assert w_p <= k * math.sqrt(t_t) * (1 + 1e-12)  # multiplication lowers the pump speed
    assert converter_pump_speed(gb, 0.0, 100.0) == pytest.approx(k * math.sqrt(100.0 / tr0), rel=1e-12)  # stall


def test_without_multiplication_the_coupling_is_exact():
    gb = _gb(1.0)
    k = gb.converter_k_rad_s_per_sqrt_nm
    for w_t, t_t in ((0.0, 50.0), (100.0, 120.0)):
        assert converter_pump_speed(gb, w_t, t_t) == k * math.sqrt(t_t)  # the formula before, to the bit
        assert converter_torque_ratio(gb, w_t, 200.0) == 1.0
    assert converter_loss_w(gb, 1.0 + 1e-9, 80.0, 200.0, 150.0) == 80.0 * (200.0 - 150.0)


def test_the_file_declares_it_and_a_converter_is_needed():
    assert hs.load_vehicle("corolla_18_cvt").transmission.converter_stall_torque_ratio == 1.9
    assert hs.load_vehicle("xingyue_l").transmission.converter_stall_torque_ratio == 1.0  # not declared: none
    with pytest.raises(ValueError, match=r"transmission\.converter_stall_torque_ratio = 1\.9: out of range without a "
                                         r"torque converter"):
        dataclasses.replace(hs.load_vehicle("civic_15t_manual").transmission, converter_stall_torque_ratio=1.9)


@functools.cache
def _us06(tr0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hs.simulate(replace_path(corolla(), "transmission.converter_stall_torque_ratio", tr0),
                           hs.load_cycle("us06"))


def test_multiplication_helps_the_launches_and_keeps_the_energy_balance():
    """The Corolla CVT at its EPA test weight on the US06: with the coupling it falls ≈ 4.1 km/h behind the
    launches; with the converter's torque multiplication less (the rest: a stall speed of ≈ 1,500 rpm with the
    estimated K = 120 rpm/√(N·m), where the 1.8 gives little power)."""
    cpl, tc = _us06(1.0), _us06(1.9)
    miss = [hs.summarize(d)["trace_miss_max_kmh"] for d in (cpl, tc)]
    print(f"\nCorolla US06 trace miss: coupling {miss[0]:.2f} km/h, converter TR0 1.9 {miss[1]:.2f} km/h")
    assert miss[1] < miss[0] - 0.5
    for d in (cpl, tc):
        assert energy_balance(d)["rel_error"] < 1e-9
        assert np.all(d["converter_loss"].values >= -1e-6)
    # while the converter slips at a launch the engine gives less torque than the gearbox input gets
    w_e = tc["engine_speed"].values[1:]
    ratio = tc["transmission_ratio"].values[1:]
    v = tc["speed"].values
    w_in = 0.5 * (v[1:] + v[:-1]) / corolla().chassis.wheel_radius_m * ratio
    slip = (w_in > 1.0) & (w_in < 0.5 * w_e) & (tc["engine_torque"].values[1:] > 20.0)
    assert slip.sum() > 3
    assert np.all(tc["converter_loss"].values[1:][slip] < (tc["engine_torque"].values[1:] * w_e)[slip])


@pytest.mark.parametrize("cold", [False, True])
@pytest.mark.parametrize("cname", hs.list_cycles())
def test_every_cycle_hot_and_cold_keeps_the_invariants(cname, cold):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = hs.simulate(hs.load_vehicle("corolla_18_cvt"), hs.load_cycle(cname), cold_start=cold)
    assert energy_balance(ds)["rel_error"] < 1e-9
    for name, var in ds.data_vars.items():
        assert not np.any(np.isnan(var.values)), name
    assert np.all(ds["converter_loss"].values >= -1e-6) and np.all(ds["fuel_rate"].values >= 0)
