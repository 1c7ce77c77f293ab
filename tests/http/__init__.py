"""Tests of erc8128.http: messages, RFC 9421, RFC 9530, RFC 9651, pastes."""
