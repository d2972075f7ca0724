"""The wheel ships the data and works when installed away from the source tree.

Builds the wheel from this repository (hatchling, without build isolation: no network needed) and
installs it, dependencies checked, into a fresh virtual environment *without* system site packages. The
dependencies are not downloaded: the new environment sees the packages of the environment running the
tests (the one the ``test`` extra was installed into) through a ``.pth`` file pointing at a folder of
links to them, from which every ``hybridsim`` entry (an editable install of this checkout) is left out.
``pip install --no-index`` then fails if a declared dependency is missing there, and nothing of the source
tree can leak in. The package and its console script are run from a folder outside the repository with a
clean environment (no PYTHONPATH).
"""

from __future__ import annotations

import importlib.util
import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
N_CYCLES = 15  # 13 shipped files + 2 derived (WLTC for Japan, hybridsim.cycles.DERIVED_CYCLES)
N_CYCLE_FILES = 13


def _run(cmd, *, cwd, env=None, timeout=120):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")}
    env["PYTHONNOUSERSITE"] = "1"
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", out]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-isolation")  # hatchling is here: no need to fetch it (the sandbox has no network)
    cmd.append(REPO)
    r = _run(cmd, cwd=out, env=_clean_env())
    assert r.returncode == 0, f"wheel build failed:\n{r.stdout}\n{r.stderr}"
    wheels = list(out.glob("hybridsim-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _parent_packages(root: Path) -> Path:
    """A folder of links to the running environment's installed packages, without hybridsim itself."""
    links = root / "parent-site-packages"
    links.mkdir()
    for sp in site.getsitepackages():
        sp = Path(sp)
        if not sp.is_dir():
            continue
        for entry in sp.iterdir():
            name = entry.name.lower()
            if "hybridsim" in name or name.endswith(".pth") or name == "__pycache__" \
                    or (links / entry.name).exists():
                continue
            (links / entry.name).symlink_to(entry)
    return links


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    root = tmp_path_factory.mktemp("venv")
    env_dir = root / "env"
    r = _run([sys.executable, "-m", "venv", env_dir], cwd=root, env=_clean_env())
    assert r.returncode == 0, r.stderr
    py = env_dir / "bin" / "python"
    purelib = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=root, env=_clean_env()).stdout.strip()
    (Path(purelib) / "_parent_env.pth").write_text(f"{_parent_packages(root)}\n", encoding="utf-8")
    # dependencies are checked against what the .pth shows; nothing is fetched (--no-index)
    r = _run([py, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", "--quiet", wheel],
             cwd=root, env=_clean_env())
    assert r.returncode == 0, f"pip install failed:\n{r.stdout}\n{r.stderr}"
    return env_dir


def test_wheel_contains_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("hybridsim/_data/drive_cycles/wltc_class3b.csv",
                     "hybridsim/_data/drive_cycles/PROVENANCE.md",
                     "hybridsim/_data/vehicles/xingyue_l.toml",
                     "hybridsim/_resources.py",
                     "hybridsim/core/engine.py"):
        assert required in names, f"{required} missing from {wheel.name}"
    # every shipped data file of the repository made it in
    for kind in ("drive_cycles", "vehicles"):
        for f in (REPO / kind).rglob("*"):
            rel = f.relative_to(REPO / kind).as_posix()
            if f.is_file() and "__pycache__" not in rel:
                assert f"hybridsim/_data/{kind}/{rel}" in names, f"{kind}/{rel} missing from the wheel"
    # no build or cache debris (numba caches are machine-specific)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".nbi", ".nbc"))]
    assert any(n.endswith(".dist-info/entry_points.txt") for n in names)


PROBE = """
import json, hybridsim
from hybridsim._resources import data_dir
print(json.dumps({
    "file": hybridsim.__file__,
    "cycles": hybridsim.list_cycles(),
    "vehicles": hybridsim.list_vehicles(),
    "cycle_dir": str(data_dir("drive_cycles")),
    "vehicle_dir": str(data_dir("vehicles")),
    "wltc_samples": len(hybridsim.load_cycle("wltc").time_s),
    "xingyue_mass": hybridsim.load_vehicle("xingyue_l").chassis.mass_kg,
}))
"""


def test_installed_wheel_imports_outside_repo(venv, tmp_path):
    py = venv / "bin" / "python"
    # the command from the brief, verbatim
    r = _run([py, "-c", "import hybridsim, sys; print(hybridsim.__file__); "
              "print(len(hybridsim.list_cycles()), len(hybridsim.list_vehicles()))"],
             cwd=tmp_path, env=_clean_env())
    assert r.returncode == 0, r.stderr
    file_line, counts = r.stdout.strip().splitlines()[-2:]
    n_vehicles = len(list((REPO / "vehicles").glob("*.toml")))
    assert counts.split() == [str(N_CYCLES), str(n_vehicles)]
    assert Path(file_line).resolve().is_relative_to(venv.resolve())

    r = _run([py, "-c", PROBE], cwd=tmp_path, env=_clean_env())
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout.strip().splitlines()[-1])
    for key in ("file", "cycle_dir", "vehicle_dir"):
        p = Path(info[key]).resolve()
        assert p.is_relative_to(venv.resolve()), f"{key} = {p} is not inside the venv"
        assert not p.is_relative_to(REPO), f"{key} = {p} leaked from the source tree"
    files = sorted(f.stem for f in (REPO / "drive_cycles").glob("*.csv"))
    assert len(files) == N_CYCLE_FILES
    assert info["cycles"] == sorted([*files, "wltc_japan_class3a", "wltc_japan_class3b"])
    assert len(info["cycles"]) == N_CYCLES
    assert info["vehicles"] == sorted(f.stem for f in (REPO / "vehicles").glob("*.toml"))
    assert info["wltc_samples"] == 1801
    assert info["xingyue_mass"] == 1760.0


def test_console_script_lists_cycles(venv, tmp_path):
    exe = venv / "bin" / "hybridsim"
    assert exe.is_file(), "console script not installed"
    r = _run([exe, "list", "cycles"], cwd=tmp_path, env=_clean_env())
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    for name in ("wltc_class3b", "nedc", "artemis_motorway_150", "ftp75"):
        assert name in r.stdout
