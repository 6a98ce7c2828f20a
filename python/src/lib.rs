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

use arrow_pyarrow::{PyArrowType, Table};
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
    _native,
    LakeError,
    PyException,
    "What the engine refuses: an output folder protected by the save-mode rules, a row limit, no landing data."
);

fn local_err(e: LocalError) -> PyErr {
    match e {
        LocalError::Refused(m) => LakeError::new_err(m),
        LocalError::Io(m) => PyOSError::new_err(m),
    }
}

fn lake_err(e: stedi_lake::Error) -> PyErr {
    LakeError::new_err(e.to_string())
}

/// The outcome of [`run`]: the lake after its rules ran, and the paths it read.
#[pyclass(module = "stedi_lake", frozen)]
struct Run {
    lake: Lake,
    inputs: Vec<PathBuf>,
    mode: Mode,
}

/// Read the landing files under `paths` (folders walked as the CLI walks them) and apply the
/// rules of `mode` ("strict" or "rubric"). `threads`: decoders (default: every core).
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
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
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
    fn table(&self, py: Python<'_>, name: &str) -> PyResult<PyArrowType<Table>> {
        let id = TableId::parse(name)
            .ok_or_else(|| PyValueError::new_err(format!("no table named {name:?}; see Run.tables")))?;
        let (batches, schema) = py.detach(|| -> PyResult<_> {
            let view = self.lake.table(id).map_err(lake_err)?;
            let schema = stedi_lake::sink::parquet::arrow_schema(view.columns());
            let batches =
                stedi_lake::sink::parquet::record_batches(&view).map_err(|e| LakeError::new_err(e.to_string()))?;
            Ok((batches, schema))
        })?;
        Ok(PyArrowType(
            Table::try_new(batches, schema).map_err(|e| LakeError::new_err(e.to_string()))?,
        ))
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
    #[pyo3(signature = (out_dir, *, overwrite = false, formats = vec!["parquet".to_owned(), "ndjson".to_owned()], threads = None))]
    fn write(
        &self,
        py: Python<'_>,
        out_dir: PathBuf,
        overwrite: bool,
        formats: Vec<String>,
        threads: Option<usize>,
    ) -> PyResult<()> {
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
        let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        py.detach(|| -> PyResult<()> {
            let dir = OutDir::prepare(&out_dir, overwrite, &self.inputs).map_err(local_err)?;
            match write::write_outputs(&self.lake, &dir.tmp, &formats, threads, &Quiet) {
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

/// The module `stedi_lake._native` (re-exported by `stedi_lake/__init__.py`).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_class::<Run>()?;
    m.add("LakeError", m.py().get_type::<LakeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
