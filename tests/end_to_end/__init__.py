"""Whole processes (erc8128 serve) and a real browser."""
