"""Tests of erc8128.state: replay stores, early-invalidation state, durability."""
