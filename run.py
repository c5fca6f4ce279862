"""Command line of the great-power bargaining simulation: ``python run.py --help``."""

from sim.cli.main import main

if __name__ == "__main__":
    main()
