"""Benchmarks run by `kinko bench`; each prints its figures and a same-run reference."""
