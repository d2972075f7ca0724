"""sphinx-gallery image scraper for hybridsim's examples.

The examples draw on ``matplotlib.figure.Figure`` objects (no pyplot state) and write PNG files into the
folder named by ``HYBRIDSIM_EXAMPLES_OUT``; this scraper moves each new PNG into the gallery after the code
block that wrote it. At the end of the build every example must have shown at least one figure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

_SHOWN: dict[str, int] = {}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def scrape(block, block_vars, gallery_conf, **kwargs):
    out = Path(os.environ["HYBRIDSIM_EXAMPLES_OUT"])
    new = sorted(out.glob("*.png"), key=lambda p: (p.stat().st_mtime, p.name))
    paths = []
    for png, dest in zip(new, block_vars["image_path_iterator"], strict=False):
        data = png.read_bytes()
        if data[:8] != PNG_SIGNATURE or len(data) < 10_000:
            raise RuntimeError(f"{block_vars['src_file']} wrote {png.name}, which is not a full PNG figure")
        shutil.move(str(png), dest)
        paths.append(dest)
    src = str(block_vars["src_file"])
    _SHOWN[src] = _SHOWN.get(src, 0) + len(paths)
    return figure_rst(paths, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    return scrape


def examples_without_figures(examples: list[str]) -> list[str]:
    """Examples that ran but showed no figure."""
    return [e for e in examples if _SHOWN.get(e, 0) == 0]
