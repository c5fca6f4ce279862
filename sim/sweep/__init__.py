"""Monte Carlo sweeps over seeds and parameter grids (README, Sweeps)."""
