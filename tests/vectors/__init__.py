"""Tests of erc8128_vectors: schemas, tags, requirements, independent checks."""
