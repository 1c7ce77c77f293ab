"""ERC-8128 test vectors as package data: ``erc8128_vectors.VECTORS_DIR`` holds the JSON files."""

from pathlib import Path

__all__ = ["VECTORS_DIR"]

VECTORS_DIR = Path(__file__).resolve().parent
