"""Time the crypto core on this machine: the same code as ``erc8128 bench`` (see erc8128.cli.bench).

Usage: python3 benchmarks/bench_crypto.py [--quick]
"""

import sys

from erc8128.cli.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
