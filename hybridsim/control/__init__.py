"""Energy-management and shift strategies: calibration parameters as data, chosen inside the numba
kernels by an integer code (DESIGN.md §4)."""
