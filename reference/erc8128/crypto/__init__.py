"""Cryptography, standard library only: Keccak-256, secp256k1, ERC-191, EIP-55, optional backends.
"""
