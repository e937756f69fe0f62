"""Measurements: the library benchmark, the browser benchmark beside a naive peer, and the load test."""
