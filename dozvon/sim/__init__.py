"""The simulator: the production routing engine driven by generated traffic on a virtual clock."""
