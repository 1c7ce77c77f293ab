"""``python -m erc8128`` runs the command line."""

import sys

from erc8128.cli import main

sys.exit(main())
