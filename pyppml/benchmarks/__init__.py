"""Micro-benchmarks behind `pyppml bench` (JSON lines, see bench/README.md)."""
