"""CLI command groups; see wzgeo.cli."""
