//! The Python extension `stedi_lake._native`: a thin PyO3 layer over the core's local runs
//! (`stedi_lake::local`, the same steps as the CLI's `run`). Data flows paths → [`run`] (read on
//! every core, rules applied, the GIL released meanwhile) → a [`Run`] holding the lake →
//! `Run.table` (pyarrow, through the Arrow C data interface: the arrays the Parquet writer
//! encodes, not copied through JSON), `Run.summary` / `Run.quality` (dicts: `summary.json`,
//! `data_quality.json`), `Run.write` (the CLI's output folder, byte for byte).
//!
//! Errors: `ValueError` for a bad argument (mode, table, format, DDL option), `OSError` for a
//! path that cannot be read or written, `stedi_lake.LakeError` for what the engine refuses (an
//! output folder the save-mode rules protect, a row limit, no landing data).

use std::path::PathBuf;

use arrow_pyarrow::Table;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyModule;

use stedi_lake::catalog::TableId;
use stedi_lake::ddl::DdlOptions;
use stedi_lake::local::out_dir::OutDir;
use stedi_lake::local::{read_lake, write, LocalError, Quiet, TableFormat};
use stedi_lake::{Lake, Mode, RunOptions};

create_exception!(
    stedi_lake,
    LakeError,
    PyException,
    "What the engine refuses: an output folder protected by the save-mode rules, a row limit, no landing data."
);

/// The core's messages name the CLI's options; from Python they name the arguments.
fn for_python(message: &str) -> String {
    message
        .replace("Use --overwrite", "Use overwrite=True")
        .replace("--overwrite", "overwrite=True")
        .replace("--out ", "out_dir ")
        .replace("(--out)", "(out_dir)")
        .replace("(--max-rows)", "(max_rows)")
}

fn local_err(e: LocalError) -> PyErr {
    match e {
        LocalError::Refused(m) => LakeError::new_err(for_python(&m)),
        LocalError::Io(m) => PyOSError::new_err(for_python(&m)),
    }
}

fn lake_err(e: stedi_lake::Error) -> PyErr {
    LakeError::new_err(for_python(&e.to_string()))
}

/// `threads` as the CLI takes it (`--threads`: 1 to 256), default every core.
fn thread_count(threads: Option<usize>) -> PyResult<usize> {
    match threads {
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        Some(n @ 1..=256) => Ok(n),
        Some(n) => Err(PyValueError::new_err(format!("threads={n}: expected 1 to 256"))),
    }
}

/// The outcome of `stedi_lake.run`: the lake after its rules ran, and the paths it read. Not
/// picklable (it holds the decoded tables); share it between threads instead.
#[pyclass(module = "stedi_lake", frozen)]
struct Run {
    lake: Lake,
    inputs: Vec<PathBuf>,
    mode: Mode,
}

/// The native half of `stedi_lake.run` (see its docstring in `stedi_lake/__init__.py`, which
/// normalises the paths): read the landing files under `paths` and apply the rules of `mode`.
#[pyfunction]
#[pyo3(signature = (paths, mode = "strict", *, location = stedi_lake::ddl::DEFAULT_LOCATION, database = stedi_lake::ddl::DEFAULT_DATABASE, max_rows = None, threads = None))]
fn run(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    mode: &str,
    location: &str,
    database: &str,
    max_rows: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Run> {
    let mode = match mode {
        "strict" => Mode::Strict,
        "rubric" => Mode::Rubric,
        m => {
            return Err(PyValueError::new_err(format!(
                "mode {m:?}: expected \"strict\" or \"rubric\""
            )))
        }
    };
    if paths.is_empty() {
        return Err(PyValueError::new_err("no paths: give landing folders or files"));
    }
    let ddl = DdlOptions::new(location, database).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let threads = thread_count(threads)?;
    let lake = py.detach(|| -> PyResult<Lake> {
        let (mut lake, read) = read_lake(&paths, &[], threads, &Quiet).map_err(local_err)?;
        lake.run(RunOptions { mode, ddl, max_rows }).map_err(lake_err)?;
        let summary = lake.summary().map_err(lake_err)?;
        if summary.sources.values().all(|c| c.files == 0) {
            return Err(LakeError::new_err(format!(
                "no STEDI landing data: {} file(s) read, none routed to customer, accelerometer or step_trainer ({} skipped)",
                read.files.len(),
                read.skipped.len()
            )));
        }
        if !summary.accounted {
            return Err(LakeError::new_err(
                "internal error: the record accounting does not balance (see Run.summary)",
            ));
        }
        drop(summary);
        Ok(lake)
    })?;
    Ok(Run {
        lake,
        inputs: paths,
        mode,
    })
}

fn json_value(py: Python<'_>, bytes: Vec<u8>) -> PyResult<Py<PyAny>> {
    let json = PyModule::import(py, "json")?;
    Ok(json.call_method1("loads", (bytes,))?.unbind())
}

#[pymethods]
impl Run {
    /// "strict" or "rubric".
    #[getter]
    fn mode(&self) -> &'static str {
        self.mode.name()
    }

    /// The eight table names, in pipeline order (landing, trusted, curated).
    #[getter]
    fn tables(&self) -> Vec<&'static str> {
        TableId::ALL.iter().map(|t| t.name()).collect()
    }

    /// One table as a pyarrow.Table (epochs INT64 milliseconds, x/y/z DOUBLE, text STRING).
    fn table<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let id = TableId::parse(name)
            .ok_or_else(|| PyValueError::new_err(format!("no table named {name:?}; see Run.tables")))?;
        arrow_table(py, &self.lake, id)
    }

    /// Rows of one table, without building it.
    fn rows(&self, name: &str) -> PyResult<u64> {
        let id = TableId::parse(name)
            .ok_or_else(|| PyValueError::new_err(format!("no table named {name:?}; see Run.tables")))?;
        self.lake.row_count(id).map_err(lake_err)
    }

    /// `summary.json` as a dict: per-source counts, per-file byte coverage, each table's rows.
    #[getter]
    fn summary(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.lake.summary().map_err(lake_err)?;
        json_value(
            py,
            serde_json::to_vec(&s).map_err(|e| LakeError::new_err(e.to_string()))?,
        )
    }

    /// `data_quality.json` as a dict: quarantine reasons, schema drift, rule effects.
    #[getter]
    fn quality(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let q = self.lake.quality().map_err(lake_err)?;
        json_value(
            py,
            serde_json::to_vec(&q).map_err(|e| LakeError::new_err(e.to_string()))?,
        )
    }

    /// Write every output into `out_dir`, as `stedi-lake run --out` does (same files, same
    /// bytes): a non-empty folder is refused unless `overwrite` and it is a previous
    /// stedi-lake output; the tree is written beside it and swapped in when complete.
    /// `formats`: table formats, "parquet" and/or "ndjson".
    #[pyo3(signature = (out_dir, *, overwrite = false, formats = None, threads = None))]
    #[pyo3(text_signature = "(self, out_dir, *, overwrite=False, formats=('parquet', 'ndjson'), threads=None)")]
    fn write(
        &self,
        py: Python<'_>,
        out_dir: PathBuf,
        overwrite: bool,
        formats: Option<Bound<'_, PyAny>>,
        threads: Option<usize>,
    ) -> PyResult<()> {
        let formats: Vec<String> = match formats {
            None => vec!["parquet".into(), "ndjson".into()],
            Some(f) => match f.extract::<String>() {
                Ok(one) => vec![one],
                Err(_) => f.extract()?,
            },
        };
        let formats = formats
            .iter()
            .map(|f| match f.as_str() {
                "parquet" => Ok(TableFormat::Parquet),
                "ndjson" => Ok(TableFormat::Ndjson),
                f => Err(PyValueError::new_err(format!(
                    "format {f:?}: expected \"parquet\" or \"ndjson\""
                ))),
            })
            .collect::<PyResult<Vec<_>>>()?;
        let threads = thread_count(threads)?;
        py.detach(|| -> PyResult<()> {
            let dir = OutDir::prepare(&out_dir, overwrite, &self.inputs).map_err(local_err)?;
            match write::write_outputs(&self.lake, &dir.tmp, &formats, &[], threads, &Quiet) {
                Ok(_) => dir.commit().map_err(local_err),
                Err(e) => {
                    dir.abandon();
                    Err(local_err(e))
                }
            }
        })
    }

    fn __repr__(&self) -> String {
        let rows: Vec<String> = TableId::ALL
            .iter()
            .map(|t| format!("{}={}", t.name(), self.lake.row_count(*t).unwrap_or(0)))
            .collect();
        format!("<stedi_lake.Run mode={} {}>", self.mode.name(), rows.join(" "))
    }
}

/// Decode one landing file's bytes as the engine does (routing by `name` as a landing path, e.g.
/// `landing/customer/x.json`, unless `source` names it), without running rules: a dict with the
/// three landing tables as pyarrow.Table (`customer_landing`, `accelerometer_landing`,
/// `step_trainer_landing`; only the file's source has rows), `report` (its `summary.json`
/// `files[]` entry: source, bytes, records, kept, quarantined, coverage, error) and `quarantine`
/// (its `quarantine.ndjson` lines as dicts). The Spark jobs call this per file, so that Spark reads
/// landing data exactly as the engine does. Errors: `ValueError` for an unknown `source`.
#[pyfunction]
#[pyo3(signature = (name, data, source = None))]
fn decode_file(py: Python<'_>, name: &str, data: &[u8], source: Option<&str>) -> PyResult<Py<PyAny>> {
    let source = source
        .map(|s| {
            stedi_lake::Source::parse(s).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "source {s:?}: expected \"customer\", \"accelerometer\" or \"step_trainer\""
                ))
            })
        })
        .transpose()?;
    let (lake, report, quarantine) = py.detach(|| -> PyResult<_> {
        let mut lake = Lake::new();
        let report =
            serde_json::to_vec(lake.add_file(name, source, data)).map_err(|e| LakeError::new_err(e.to_string()))?;
        // The landing tables are views of a run; the rubric rules over one file cost nothing.
        lake.run(RunOptions::default()).map_err(lake_err)?;
        let quarantine = lake.output(&stedi_lake::Output::Quarantine.path()).map_err(lake_err)?;
        Ok((lake, report, quarantine))
    })?;
    let out = pyo3::types::PyDict::new(py);
    for id in [
        TableId::CustomerLanding,
        TableId::AccelerometerLanding,
        TableId::StepTrainerLanding,
    ] {
        out.set_item(id.name(), arrow_table(py, &lake, id)?)?;
    }
    out.set_item("report", json_value(py, report)?)?;
    let lines = PyModule::import(py, "json")?;
    let q = pyo3::types::PyList::empty(py);
    for line in quarantine.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        q.append(lines.call_method1("loads", (line,))?)?;
    }
    out.set_item("quarantine", q)?;
    Ok(out.into_any().unbind())
}

/// Table `id` of `lake`'s last run as a pyarrow.Table.
fn arrow_table<'py>(py: Python<'py>, lake: &Lake, id: TableId) -> PyResult<Bound<'py, PyAny>> {
    let (batches, schema) = py.detach(|| -> PyResult<_> {
        let view = lake.table(id).map_err(lake_err)?;
        let schema = stedi_lake::sink::parquet::arrow_schema(view.columns());
        let batches =
            stedi_lake::sink::parquet::record_batches(&view).map_err(|e| LakeError::new_err(e.to_string()))?;
        Ok((batches, schema))
    })?;
    let table = Table::try_new(batches, schema).map_err(|e| LakeError::new_err(e.to_string()))?;
    arrow_pyarrow::IntoPyArrow::into_pyarrow(table, py)
}

/// The landing rule for a list of paths (`landing/customer/x.json`, ...): for each, `None` when
/// it is landing data to read, else why it is skipped (engine output, hidden, bookkeeping, outside
/// the `landing` folders). The same rule as the CLI's walk and the page's folder drop.
#[pyfunction]
fn select_landing(names: Vec<String>) -> Vec<Option<&'static str>> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    stedi_lake::ingest::select::select(&refs)
        .into_iter()
        .map(|v| v.map(|s| s.reason()))
        .collect()
}

/// The module `stedi_lake._native` (re-exported by `stedi_lake/__init__.py`).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(decode_file, m)?)?;
    m.add_function(wrap_pyfunction!(select_landing, m)?)?;
    m.add_class::<Run>()?;
    m.add("LakeError", m.py().get_type::<LakeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_LOCATION", stedi_lake::ddl::DEFAULT_LOCATION)?;
    m.add("DEFAULT_DATABASE", stedi_lake::ddl::DEFAULT_DATABASE)?;
    Ok(())
}
