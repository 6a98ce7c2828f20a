"""stedi-lake from Python: the STEDI landing -> trusted -> curated pipeline of the stedi-lake core
(the same Rust code as the CLI and the page), with tables as pyarrow.Table.

    import stedi_lake
    run = stedi_lake.run(["landing/"], mode="strict")
    df = run.table("machine_learning_curated").to_pandas()
    run.summary["tables"]["machine_learning_curated"]["rows"]
    run.write("out/")  # the same files, byte for byte, as `stedi-lake run landing/ --out out/`

`run(paths, mode="strict", *, location=..., database=..., max_rows=None, threads=None) -> Run`
reads every landing file under `paths` (folders are walked as the CLI walks them; outputs of a
previous run are never read) and applies the rules (docs/semantics.md). `Run.tables` names the
eight tables; `Run.table(name)` returns one as a pyarrow.Table (epochs are INT64 milliseconds);
`Run.rows(name)` counts it; `Run.summary` and `Run.quality` are summary.json and
data_quality.json as dicts; `Run.write(out_dir, overwrite=False, formats=["parquet", "ndjson"])`
writes every output. Errors: ValueError (a bad argument), OSError (a path), LakeError (what the
engine refuses: a protected output folder, a row limit, no landing data).
"""

from ._native import LakeError, Run, __version__, run

__all__ = ["run", "Run", "LakeError", "__version__"]
