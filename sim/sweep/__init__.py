"""Monte Carlo sweeps over seeds, parameter grids and sampled designs; their analysis and report."""
