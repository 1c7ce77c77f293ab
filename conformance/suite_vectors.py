"""The vector cases, one pytest test each (parametrised by ``ConformancePlugin``).

Run through ``erc8128 conformance --adapter CMD``; not collected by the project's own tests.
"""

from erc8128_conformance.cases import Case
from erc8128_conformance.plugin import VectorRun, vector_run

__all__ = ["test_vector", "vector_run"]


def test_vector(case: Case, vector_run: VectorRun) -> None:
    vector_run.check(case)
