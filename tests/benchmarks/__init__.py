"""The benchmarks under benchmarks/, run short."""
