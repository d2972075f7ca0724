"""Where the shipped data (drive cycles, vehicle files) lives.

The repository keeps ``drive_cycles/`` and ``vehicles/`` at its top level. The wheel build maps both
into the package as ``hybridsim/_data/drive_cycles`` and ``hybridsim/_data/vehicles`` (see
``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml), so an installed copy finds them
with :mod:`importlib.resources`. In a source checkout or an editable install the package directory has
no ``_data`` folder, and the top-level folders beside the package are used instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_KINDS = ("drive_cycles", "vehicles")


def data_dir(kind: str) -> Path:
    """Directory of the shipped data of one kind: ``"drive_cycles"`` or ``"vehicles"``."""
    if kind not in _KINDS:
        raise ValueError(f"data kind must be one of {_KINDS}, got {kind!r}")
    packaged = Path(str(resources.files("hybridsim"))) / "_data" / kind
    if packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parent.parent / kind
    if source_tree.is_dir():
        return source_tree
    raise FileNotFoundError(
        f"hybridsim's {kind}/ folder was not found (looked in {packaged} and {source_tree}); "
        "the installation is incomplete"
    )
