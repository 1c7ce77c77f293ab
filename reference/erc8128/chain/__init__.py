"""Reading the chain: JSON-RPC, ABI, the ERC-6492 validator; account verification for smart
accounts.
"""
