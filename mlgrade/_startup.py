"""Imported first by the grading processes (``python -m mlgrade``, its workers, the report).

jsonschema, which nbformat imports, looks for the optional package ``rfc3987_syntax`` to
check the ``iri`` formats of JSON schemas; importing it compiles about forty grammars,
more than a second of CPU in every process (measured with cProfile: 38 ``lark`` grammars).
Notebook validation never uses those formats, and a grading run starts a process per
worker (and per submission on a Dask cluster), so these processes record the package as
absent before anything imports jsonschema. Nothing else changes: without it, jsonschema
skips exactly those two format checks, as it does where the package is not installed.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
