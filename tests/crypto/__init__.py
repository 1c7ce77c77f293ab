"""Tests of erc8128.crypto: Keccak, secp256k1, ERC-191, addresses."""
