"""Benchmarks: scripts run by hand (`make bench`), each reporting ratios to a baseline of the same run."""
