"""The package version, read once from the installed distribution's metadata (pyproject.toml is its one source).

Its own module, so that a module inside the package can name the version without importing the package root.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("hybridsim")
except _metadata.PackageNotFoundError:  # pragma: no cover - a source checkout used without installing
    __version__ = "0+unknown"
