"""Attacks found by the reviews, reproduced over loopback."""
