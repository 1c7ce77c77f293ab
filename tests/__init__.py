"""The project's tests, one folder per layer of erc8128 (lanes: tests/conftest.py)."""
