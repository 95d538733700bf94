"""Benchmarks of Mayyam against calling the clusters directly."""
