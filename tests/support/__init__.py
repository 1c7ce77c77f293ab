"""Helpers the tests import: real services, fixtures, clients (no tests)."""
