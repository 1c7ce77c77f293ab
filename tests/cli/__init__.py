"""Tests of erc8128.cli: the command line and the conformance adapter."""
