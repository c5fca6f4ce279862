"""Command line of the great-power bargaining simulation: ``python run.py --help``."""

from sim.cli.main import entry

if __name__ == "__main__":
    entry()
