"""Tests of erc8128.chain: the JSON-RPC provider and real-chain accounts."""
