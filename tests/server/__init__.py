"""Tests of erc8128.server: the demo server's app, front end, budgets and pages."""
