"""Component parameter dataclasses (as written in the vehicle files), their validation, derived
properties and ``to_kernel()`` bridges to the numba core (SI floats and float64 arrays)."""
