"""Steerable simulators for the demo and the flow tests (deterministic, no I/O)."""
