"""What an import statement loads, measured in a fresh interpreter."""

import json
import subprocess
import sys

__all__ = ["top_level_modules_loaded_by"]


def top_level_modules_loaded_by(statement: str) -> set[str]:
    """The top-level package names new in ``sys.modules`` after running ``statement`` (an import)
    in a fresh ``python -c``."""
    code = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        f"{statement}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))
