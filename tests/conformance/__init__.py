"""Tests of erc8128_conformance: the suite, live mode, adapters, reports."""
