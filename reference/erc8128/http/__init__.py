"""HTTP canonicalisation: RFC 9651 structured fields, the request value, RFC 9421 components and
signature base, RFC 9530 digests, JSON limits.
"""
