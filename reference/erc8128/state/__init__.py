"""State the verifier keeps: replay (nonce) stores and early-invalidation state, in memory, SQLite
or Redis.
"""
