"""Local stand-ins for providers (loopback only), used by tests and benchmarks."""
