"""The ERC-8128 conformance suite: runs the vectors and live checks against any implementation."""
