"""Every script in examples/ runs headless (MPLBACKEND=Agg) in a fresh folder and writes its figure.

Examples 03 (plug-in hybrid through WLTP) and 04 (Taycan performance) need the P2/PHEV and BEV parts of
the package; they are run like the others. With ``HYBRIDSIM_EXAMPLES_QUICK`` set, as here, example 06 compares
the strategies on two cycles instead of six (each runs a DP); the documentation build runs every example in full.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("[0-9][0-9]_*.py"))


def test_there_are_six_examples():
    assert [p.name[:2] for p in EXAMPLES] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_cells_are_top_level(script):
    # a "# %%" cell marker must start a line: one inside a loop or a block would split the block
    lines = script.read_text(encoding="utf-8").splitlines()
    assert any(ln.startswith("# %%") for ln in lines)
    assert not [ln for ln in lines if "# %%" in ln and not ln.startswith("# %%")]


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    text = script.read_text(encoding="utf-8")
    assert text.startswith('"""') and "# %%" in text  # gallery style: title docstring and cells
    env = {**os.environ, "MPLBACKEND": "Agg", "HYBRIDSIM_EXAMPLES_OUT": str(tmp_path), "HYBRIDSIM_EXAMPLES_QUICK": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)  # a guard against a hang: under parallel tests a first compile can be slow
    assert proc.returncode == 0, proc.stderr[-3000:]
    pngs = sorted(tmp_path.glob(f"{script.stem[:2]}_*.png"))
    assert pngs, f"{script.name} wrote no figure; stdout: {proc.stdout[-500:]}"
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000 for p in pngs)
