"""The THS-II kernel's outputs, bit for bit, against fingerprints of the arrays it gave before the issue-16
restructuring of its step (inlining, one road force and battery state per step, flat arguments).

``python tests/test_ths_bitwise.py --write`` regenerates ``tests/data/ths_fingerprints.json`` (only when a
change of the physics is intended: say so in the commit). The fingerprints are SHA-256 of the output arrays'
bytes; libm and compilers may round transcendental functions differently elsewhere, so the test runs only
where the platform recorded with them matches (and says so when it skips).
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent / "data" / "ths_fingerprints.json"
CASES = [(vid, cyc, strategy, cold)
         for vid in ("ralink", "prius_2016")
         for cyc, strategy, cold in (("wltc", "rule_based", False), ("wltc", "rule_based", True),
                                     ("udds", "rule_based", False), ("us06", "rule_based", False),
                                     ("artemis_urban", "rule_based", True), ("wltc", "ecms", False),
                                     ("us06", "ecms", True))]


def _platform() -> str:
    import numba

    return f"{platform.machine()} {platform.system()} numpy {np.__version__} numba {numba.__version__}"


def _fingerprints() -> dict[str, str]:
    import hybridsim as hs
    from hybridsim.powertrains.ths import STRATEGY_CODES, _run_ths_once, _ths_args
    from hybridsim.simulate import kernel_cycle

    res = {}
    for vid, cname, strategy, cold in CASES:
        v = hs.load_vehicle(vid)
        kc = kernel_cycle(hs.load_cycle(cname), "ths")[0]
        out = _run_ths_once(_ths_args(v, cold, 10.0), v.controller.soc_target, kc, STRATEGY_CODES[strategy])
        h = hashlib.sha256()
        for f in out._fields:
            h.update(f.encode())
            h.update(np.ascontiguousarray(getattr(out, f), dtype=np.float64).tobytes())
        res[f"{vid}|{cname}|{strategy}|{'cold' if cold else 'hot'}"] = h.hexdigest()
    return res


def test_ths_outputs_bit_identical():
    ref = json.loads(DATA.read_text())
    if ref["platform"] != _platform():
        pytest.skip(f"fingerprints recorded on {ref['platform']!r}, this is {_platform()!r}")
    got = _fingerprints()
    diff = [k for k in ref["runs"] if got.get(k) != ref["runs"][k]]
    assert not diff, f"THS-II outputs changed (not bit-identical) for {diff}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        DATA.write_text(json.dumps({"platform": _platform(), "runs": _fingerprints()}, indent=1) + "\n")
