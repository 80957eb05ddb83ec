"""Benchmarks of jmcp against its baselines: ``python -m bench`` (see README, "Benchmarks")."""
