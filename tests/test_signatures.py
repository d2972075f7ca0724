"""One compiled signature per kernel (issue 14): a fresh process runs a representative set (every shipped vehicle on
NEDC and US06 with summaries and ``record=False``, a cold start, ECMS and DP for THS-II, P2 and the
series-parallel, DP for the THS-II plug-in, a THS-II summary sweep, runs on a pickled vehicle and cycle (what a
process or Dask sweep's workers get), and each architecture's full-load performance, which calls plant functions
from Python), then every numba dispatcher of ``hybridsim.core`` must
hold at most one signature, and each kernel exactly one. Another argument type (an int for a float, a read-only
array, a literal constant from a compiled caller: ``core/__init__.py``'s ``_one_signature``) would cost a
compile and a cache entry.

A fresh process, so that tests which call core functions from Python with other types do not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_SCRIPT = r"""
import importlib, json, pkgutil, warnings
import numpy as np
import hybridsim as hs
import hybridsim.core as core
from hybridsim import performance
from numba.core.registry import CPUDispatcher

warnings.simplefilter("ignore")
for vid in hs.list_vehicles():
    v = hs.load_vehicle(vid)
    for c in ("nedc", "us06"):
        hs.summarize(hs.simulate(v, hs.load_cycle(c)))
        hs.simulate(v, hs.load_cycle(c), record=False)
    if v.engine is not None and v.engine.map_kind == "willans":
        hs.simulate(v, hs.load_cycle("nedc"), cold_start=True)
    performance.acceleration(v, 0.0, 100.0)
    performance.top_speed(v)
nedc = hs.load_cycle("nedc")
ralink, tank, insight, rav4 = (hs.load_vehicle(x) for x in ("ralink", "tank300_hi4t", "insight_2022", "rav4_prime"))
hs.simulate(ralink, nedc, strategy="ecms")
hs.simulate(insight, nedc, strategy="ecms")
hs.simulate(tank, nedc, soc_init=tank.controller.soc_target, strategy="ecms")
t = np.arange(6.0)
tiny = hs.Cycle(name="tiny", time_s=t, speed_mps=np.array([0.0, 2.5, 5.0, 7.0, 7.0, 4.0]), grade=np.zeros(6))
hs.optimal(ralink, tiny, soc_grid=11)
hs.optimal(tank, tiny, soc_grid=11, power_points=2)
hs.optimal(insight, tiny, soc_grid=11)
hs.optimal(rav4, tiny, soc_grid=11, power_points=2)
hs.sweep(ralink, nedc, {"chassis.mass_kg": [1400.0, 1500.0]}, summary_only=True)
# a vehicle and cycle that went through pickle, as a process or Dask sweep's workers get them
import pickle
for x in (ralink, tank, hs.load_vehicle("xingyue_l")):
    hs.simulate(pickle.loads(pickle.dumps(x)), pickle.loads(pickle.dumps(nedc)), record=False)
sigs = {}
for m in pkgutil.iter_modules(core.__path__):
    mod = importlib.import_module("hybridsim.core." + m.name)
    for name, obj in vars(mod).items():
        if isinstance(obj, CPUDispatcher) and obj.__module__ == mod.__name__:
            sigs[mod.__name__ + "." + name] = [str(s) for s in obj.signatures]
print(json.dumps(sigs))
"""

KERNELS = ("bev_control.run_bev", "conventional_control.run_conventional", "p2_control.run_p2", "p2_dp.backward",
           "p2_dp.forward", "series_parallel_control.run_series_parallel", "series_parallel_dp.backward",
           "series_parallel_dp.forward", "summary.run_sums", "ths_batch.run_cases",
           "ths_control.run_ths_rule", "ths_control.run_ths_ecms", "ths_dp.backward", "ths_dp.forward",
           "ths_plugin_dp.backward", "ths_plugin_dp.forward")


def test_every_core_dispatcher_has_one_signature():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sigs = json.loads(proc.stdout.strip().splitlines()[-1])
    multi = {name: s for name, s in sigs.items() if len(s) > 1}
    assert multi == {}, "\n".join(f"{n}: {len(s)} signatures: {s}" for n, s in multi.items())
    # every kernel ran (a helper called only from compiled code shows no signature when its caller came from the
    # on-disk cache, so only the kernels are counted)
    for k in KERNELS:
        assert len(sigs["hybridsim.core." + k]) == 1, k
