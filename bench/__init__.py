"""Benchmarks for Studio Library; `make bench` runs `python -m bench.upload`."""
