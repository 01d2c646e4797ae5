"""Benchmarks of the routeplanner solver against public yardsticks (issue 4).

Run from the repository root, e.g. ``.venv/bin/python -m benchmarks.vrptw ...``;
see ``benchmarks/README.md``.  Nothing in ``routeplanner`` imports this package.
"""
