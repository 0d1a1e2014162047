"""Measurements, run from the repository root as modules: python -m benchmarks.speed | reliability | sweep."""
