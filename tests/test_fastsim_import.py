"""hybridsim import-fastsim: a FASTSim 3 vehicle file becomes a loadable hybridsim vehicle file that says
what maps over, what is scaled and what does not map. The YAML below has FASTSim 3's structure
(fastsim-core/resources/vehicles/*.yaml) with round values of our own."""

import math
import tomllib

import pytest

import hybridsim as hs
from hybridsim.cli import main
from hybridsim.fastsim_import import fastsim_to_hybridsim

CHASSIS = """chassis:
  drag_coef: 0.3
  frontal_area_square_meters: 2.3
  wheel_rr_coef: 0.008
  wheel_inertia_kilogram_square_meters: 0.8
  num_wheels: 4
  wheel_radius_meters: 0.33
  cg_height_meters: 0.55
  wheel_fric_coef: 0.8
  drive_type: FWD
  drive_axle_weight_frac: 0.6
  wheel_base_meters: 2.8
mass_kilograms: 1600.0
pwr_aux_watts: 700.0
trans_eff: 0.95
"""
FC = """    fc:
      pwr_out_max_watts: 120000.0
      pwr_idle_fuel_watts: 10000.0
      eff_interp_from_pwr_out:
        Interp1D:
          x: [0.0, 0.5, 1.0]
          f_x: [0.1, 0.35, 0.3]
"""
EM = """    em:
      pwr_out_max_watts: {p}
      eff_interp_fwd:
        Interp1D:
          x: [0.0, 1.0]
          f_x: [0.85, 0.93]
"""
RES = """    res:
      pwr_out_max_watts: {p}
      energy_capacity_joules: {e}
      min_soc: 0.1
      max_soc: 0.95
"""
FILES = {
    "conventional": "name: Test sedan\nyear: 2020\npt_type:\n  ConventionalVehicle:\n" + FC
                    + "    fs:\n      energy_capacity_joules: 1.5e9\n" + CHASSIS,
    "ths": "name: Test hybrid\npt_type:\n  HybridElectricVehicle:\n" + FC + EM.format(p=60000.0)
           + RES.format(p=30000.0, e=4.0e6) + "    hev_controls: RESGreedy\n" + CHASSIS,
    "bev": "name: Test EV\npt_type:\n  BatteryElectricVehicle:\n" + EM.format(p=200000.0)
           + RES.format(p=250000.0, e=2.7e8) + CHASSIS,
}


@pytest.mark.parametrize("arch", sorted(FILES))
def test_import_loads_and_runs(arch, tmp_path):
    src = tmp_path / f"{arch}.yaml"
    src.write_text(FILES[arch], encoding="utf-8")
    result = fastsim_to_hybridsim(src)
    assert result.architecture == arch
    out = tmp_path / f"{arch}.toml"
    out.write_text(result.toml, encoding="utf-8")
    v = hs.read_vehicle(out)
    assert v.architecture == arch and v.claims == ()  # the template's claims are not this vehicle's
    doc = tomllib.loads(result.toml)  # the template car's own tables and road load are left out
    assert "test_conditions" not in doc and "claims" not in doc and "road_load_f0_n" not in doc["chassis"]
    assert v.chassis.mass_kg == 1600.0 and v.chassis.drag_coefficient == 0.3
    assert v.chassis.wheel_inertia_kgm2 == pytest.approx(3.2) and v.chassis.front_axle_load_share == 0.6
    assert v.accessories.electrical_power_w == 700.0
    if v.engine is not None:
        assert v.engine.peak_power_kw == 120.0
    if arch == "bev":
        total = sum(m.peak_power_kw for m in v.motors.values())
        assert total == pytest.approx(200.0)
        assert v.battery.energy_kwh == pytest.approx(75.0, rel=1e-3)  # 2.7e8 J
    s = hs.summarize(hs.simulate(v, hs.load_cycle("nedc")))
    assert s["energy_balance_rel_error"] < 1e-9 and math.isfinite(s["distance_km"])
    # what did not map is said, in the report and in the file
    assert "eff_interp" in result.report() and "# Not mapped" in result.toml
    assert all(f"{k}" in result.toml for k in result.not_mapped)
    assert "mass_kg" in " ".join(result.mapped)


def test_not_a_fastsim_file(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a FASTSim 3 vehicle file"):
        fastsim_to_hybridsim(bad)
    odd = tmp_path / "odd.yaml"
    odd.write_text(FILES["conventional"].replace("ConventionalVehicle", "FuelCellVehicle"), encoding="utf-8")
    with pytest.raises(ValueError, match="pt_type = 'FuelCellVehicle'.*allowed"):
        fastsim_to_hybridsim(odd)
    neg = tmp_path / "neg.yaml"
    neg.write_text(FILES["conventional"].replace("mass_kilograms: 1600.0", "mass_kilograms: -1"), encoding="utf-8")
    with pytest.raises(ValueError, match="mass_kilograms = -1.*positive"):
        fastsim_to_hybridsim(neg)


def test_cli(tmp_path, capsys):
    src = tmp_path / "car.yaml"
    src.write_text(FILES["conventional"], encoding="utf-8")
    out = tmp_path / "car.toml"
    assert main(["import-fastsim", str(src), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "not mapped" in text and f"wrote {out}" in text
    assert hs.read_vehicle(out).architecture == "conventional"
    assert main(["import-fastsim", str(src), "--out", str(tmp_path / "car.txt")]) == 2
