"""Table look-ups on uniform grids by index arithmetic (no search), clamped at the edges."""

from __future__ import annotations

import math

from . import jit


@jit
def interp1_uniform(x0, dx, y, x):
    """Linear interpolation of ``y`` sampled at x0 + k·dx; constant beyond the ends."""
    n = y.shape[0]
    u = (x - x0) / dx
    if u <= 0.0:
        return y[0]
    if u >= n - 1:
        return y[n - 1]
    k = int(math.floor(u))
    f = u - k
    return y[k] + f * (y[k + 1] - y[k])


@jit
def interp2_uniform(x0, dx, y0, dy, z, x, y):
    """Bilinear interpolation of ``z[i, j]`` sampled at (x0 + i·dx, y0 + j·dy); clamped at the edges."""
    nx = z.shape[0]
    ny = z.shape[1]
    u = (x - x0) / dx
    v = (y - y0) / dy
    if u < 0.0:
        u = 0.0
    elif u > nx - 1:
        u = nx - 1.0
    if v < 0.0:
        v = 0.0
    elif v > ny - 1:
        v = ny - 1.0
    i = int(math.floor(u))
    j = int(math.floor(v))
    if i > nx - 2:
        i = nx - 2
    if j > ny - 2:
        j = ny - 2
    fu = u - i
    fv = v - j
    z00 = z[i, j]
    z10 = z[i + 1, j]
    z01 = z[i, j + 1]
    z11 = z[i + 1, j + 1]
    return (z00 * (1.0 - fu) + z10 * fu) * (1.0 - fv) + (z01 * (1.0 - fu) + z11 * fu) * fv
