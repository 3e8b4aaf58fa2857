"""Spatial statistics on events: square grids, Getis-Ord Gi* hotspots and kernel density."""
