"""Benchmarks: figures measured on this machine against a baseline run at the same time.

Never part of the test suite: tests do not fail on wall-clock time. See bench/README.md.
"""
