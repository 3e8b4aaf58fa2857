"""commsafe: Community Safety Partnership strategic assessments as one reproducible pipeline."""

__version__ = "0.1.0"

__all__ = ["__version__"]
