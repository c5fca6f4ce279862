"""Great-power bargaining: the model package (no pygame, no printing, no files in the core)."""
