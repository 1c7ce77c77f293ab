"""Tests of erc8128.client: the agent client against the demo server."""
