"""stedi-lake from Python: the STEDI landing -> trusted -> curated pipeline of the stedi-lake core
(the same Rust code as the CLI and the page), with tables as pyarrow.Table.

    import stedi_lake
    run = stedi_lake.run("landing/", mode="strict")
    df = run.table("machine_learning_curated").to_pandas()
    run.summary["tables"]["machine_learning_curated"]["rows"]
    run.write("out/")  # the same files, byte for byte, as `stedi-lake run landing/ --out out/`

`Run.tables` names the eight tables; `Run.table(name)` returns one as a pyarrow.Table (epochs are
INT64 milliseconds); `Run.rows(name)` counts it; `Run.summary` and `Run.quality` are summary.json
and data_quality.json as dicts; `Run.write(out_dir, *, overwrite=False, formats=("parquet",
"ndjson"), threads=None)` writes every output. Errors: ValueError (a bad argument), OSError (a
path), LakeError (what the engine refuses: a protected output folder, a row limit, no landing
data). A run holds the GIL only to start and to hand over tables (other Python threads run
meanwhile), and Ctrl-C is seen when the call returns. `Run` is not picklable.

For the Spark jobs (one file at a time, the engine's own decoder): `decode_file(name, data,
source=None)` and `select_landing(names)`.
"""

import os
from typing import Iterable, Optional, Union

from . import _native
from ._native import DEFAULT_DATABASE, DEFAULT_LOCATION, LakeError, Run, __version__, decode_file, select_landing

__all__ = ["run", "Run", "LakeError", "decode_file", "select_landing", "__version__",
           "DEFAULT_LOCATION", "DEFAULT_DATABASE"]

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def run(paths: Union[PathArg, Iterable[PathArg]], mode: str = "strict", *, location: str = DEFAULT_LOCATION,
        database: str = DEFAULT_DATABASE, max_rows: Optional[int] = None, threads: Optional[int] = None) -> Run:
    """Read every landing file under `paths` and apply the rules of `mode`.

    paths: a folder or file, or several (str, bytes or os.PathLike); folders are walked as the CLI
        walks them (hidden folders and outputs of a previous run are never read).
    mode: "strict" (privacy-first, the default) or "rubric" (the reference Glue jobs row for row);
        docs/semantics.md explains every rule.
    location, database: where the generated Glue/Athena DDL points.
    max_rows: the most rows one derived table may have (default: 50 x the landing rows, at least
        1 million, at most 200 million); a larger table raises LakeError and nothing is built.
    threads: decoders and writers, 1 to 256 (default: every core).

    Raises ValueError (bad mode, threads, location or database), OSError (a path that cannot be
    read), LakeError (no STEDI landing data, a row limit).
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    return _native.run([os.fsdecode(p) for p in paths], mode, location=location, database=database,
                       max_rows=max_rows, threads=threads)
