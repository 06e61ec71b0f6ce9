"""Benchmarks: each module's `main()` prints figures and ratios against a baseline
measured in the same run. They are not tests; `make bench` runs them all."""
