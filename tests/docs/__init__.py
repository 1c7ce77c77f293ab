"""README.md, SPEC.md and docs/ stay true to the code."""
