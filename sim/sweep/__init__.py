"""Monte Carlo sweeps over seeds and parameter grids (DESIGN section 7)."""
