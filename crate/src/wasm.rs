//! The JavaScript API (wasm-bindgen): a thin, typed layer over [`crate::Lake`]. Structured
//! results cross as JSON strings (parsed by the caller), bytes as `Uint8Array`, and every error
//! becomes a JS `Error` carrying the same message the CLI prints.

use wasm_bindgen::prelude::*;

use crate::ddl::{self, DdlOptions};
use crate::lake;
use crate::manifest;
use crate::{Mode, Output, RunOptions, Source};

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn parse_source(source: Option<String>) -> Result<Option<Source>, JsError> {
    match source.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => Source::parse(s).map(Some).ok_or_else(|| {
            js_err(format!(
                "unknown source '{s}' (expected customer, accelerometer or step_trainer)"
            ))
        }),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("reports serialize")
}

/// A landing → trusted → curated run in the browser.
#[wasm_bindgen]
pub struct Lake {
    inner: lake::Lake,
}

impl Default for Lake {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl Lake {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Lake {
        Lake {
            inner: lake::Lake::new(),
        }
    }

    /// Read a whole file. `source` forces the source; otherwise the name, then the keys decide.
    /// Returns the file's report as JSON (`{name, source, routed_by, records, kept, quarantined, error}`).
    #[wasm_bindgen(js_name = addFile)]
    pub fn add_file(
        &mut self,
        name: &str,
        bytes: &[u8],
        #[wasm_bindgen(unchecked_param_type = "\"customer\" | \"accelerometer\" | \"step_trainer\" | undefined")]
        source: Option<String>,
    ) -> Result<String, JsError> {
        let source = parse_source(source)?;
        Ok(to_json(self.inner.add_file(name, source, bytes)))
    }

    /// Start a file that will arrive in chunks through [`Lake::feed`].
    #[wasm_bindgen(js_name = openFile)]
    pub fn open_file(
        &mut self,
        name: &str,
        #[wasm_bindgen(unchecked_param_type = "\"customer\" | \"accelerometer\" | \"step_trainer\" | undefined")]
        source: Option<String>,
    ) -> Result<(), JsError> {
        let source = parse_source(source)?;
        self.inner.open_file(name, source);
        Ok(())
    }

    /// The next chunk of the open file.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.inner.feed(chunk);
    }

    /// Finish the open file; returns its report as JSON.
    #[wasm_bindgen(js_name = closeFile)]
    pub fn close_file(&mut self) -> Result<String, JsError> {
        self.inner
            .close_file()
            .map(to_json)
            .ok_or_else(|| js_err("no file is open"))
    }

    /// Everything this lake has read, as bytes for another lake's `appendExported` (how a decode
    /// worker hands its share of the files to the worker that runs the rules).
    #[wasm_bindgen(js_name = exportIngest)]
    pub fn export_ingest(&mut self) -> Vec<u8> {
        self.inner.export_ingest()
    }

    /// Add a share of the files decoded by another lake (`exportIngest`), as if read next.
    #[wasm_bindgen(js_name = appendExported)]
    pub fn append_exported(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.append_exported(bytes).map_err(js_err)
    }

    /// Apply the zone rules. Returns `summary.json` as a string. Errors: an unknown mode, or a
    /// location/database `DdlOptions::new` refuses (its message; absent or empty = the default).
    pub fn run(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "\"strict\" | \"rubric\"")] mode: &str,
        location: Option<String>,
        database: Option<String>,
    ) -> Result<String, JsError> {
        let mode =
            Mode::parse(mode).ok_or_else(|| js_err(format!("unknown mode '{mode}' (expected strict or rubric)")))?;
        // Absent or empty: the default; anything given is validated (`DdlError`'s message).
        let location = location.filter(|l| !l.is_empty());
        let database = database.filter(|d| !d.is_empty());
        let ddl = DdlOptions::new(
            location.as_deref().unwrap_or(ddl::DEFAULT_LOCATION),
            database.as_deref().unwrap_or(ddl::DEFAULT_DATABASE),
        )
        .map_err(js_err)?;
        // A derived table over the default row limit is refused before it is built (no OOM).
        self.inner
            .run(RunOptions {
                mode,
                ddl,
                max_rows: None,
            })
            .map_err(js_err)?;
        self.summary()
    }

    /// `summary.json` of the last run.
    pub fn summary(&self) -> Result<String, JsError> {
        self.inner.summary().map(|s| to_json(&s)).map_err(js_err)
    }

    /// The data-quality report of the last run, as JSON.
    pub fn quality(&self) -> Result<String, JsError> {
        self.inner.quality().map(|q| to_json(&q)).map_err(js_err)
    }

    /// Every output path (Hive layout), e.g. `trusted/customer_trusted/part-00000.parquet`.
    #[wasm_bindgen(js_name = outputPaths)]
    pub fn output_paths() -> Vec<String> {
        Output::all().into_iter().map(Output::path).collect()
    }

    /// The MIME type of an output path.
    #[wasm_bindgen(js_name = contentType)]
    pub fn content_type(path: &str) -> Result<String, JsError> {
        Output::parse(path)
            .map(|o| o.content_type().to_owned())
            .ok_or_else(|| js_err(lake::Error::UnknownOutput(path.into())))
    }

    /// One output's bytes.
    pub fn output(&self, path: &str) -> Result<Vec<u8>, JsError> {
        self.inner.output(path).map_err(js_err)
    }

    /// Rows `offset..offset+limit` of a table as a JSON array of objects.
    pub fn rows(&self, table: &str, offset: usize, limit: usize) -> Result<String, JsError> {
        self.inner.rows_json(table, offset, limit).map_err(js_err)
    }

    /// Where a file would be routed before reading it all: `{"source": "customer" | … | null, "by": "path" | "keys" | "none"}`
    /// from its name and first bytes (the same rule ingest applies).
    pub fn sniff(name: &str, head: &[u8]) -> String {
        let (source, by) = crate::ingest::sniff(name, head);
        serde_json::json!({ "source": source.map(Source::name), "by": by }).to_string()
    }

    /// Which of the given paths are landing data: the one rule (`ingest::select`) the CLI applies to
    /// a local folder and `presign` to an S3 prefix. `paths_json` is a JSON array of relative paths
    /// (`/`-separated, the dropped or picked folder's name first); returns, in the same order,
    /// `[{"path", "skip": null | {"kind": "engine_output" | "hidden" | "bookkeeping" | "outside_landing", "reason"}}]`.
    /// Errors: `paths_json` is not an array of strings.
    #[wasm_bindgen(js_name = selectFiles)]
    pub fn select_files(paths_json: &str) -> Result<String, JsError> {
        let paths: Vec<String> = serde_json::from_str(paths_json)
            .map_err(|e| js_err(format!("selectFiles expects a JSON array of paths: {e}")))?;
        let verdicts = crate::ingest::select::select(&paths);
        let out: Vec<serde_json::Value> = paths
            .iter()
            .zip(verdicts)
            .map(|(path, skip)| {
                let skip = skip.map(|s| serde_json::json!({ "kind": s, "reason": s.reason() }));
                serde_json::json!({ "path": path, "skip": skip })
            })
            .collect();
        Ok(to_json(&out))
    }

    /// Emails of `customers_curated` as a JSON array.
    #[wasm_bindgen(js_name = curatedEmails)]
    pub fn curated_emails(&self) -> Result<String, JsError> {
        self.inner.curated_emails().map(|v| to_json(&v)).map_err(js_err)
    }

    /// One customer's trusted readings as JSON: `{email, accelerometer: [[t,x,y,z]…], step_trainer: [[t,d]…]}`.
    #[wasm_bindgen(js_name = customerSeries)]
    pub fn customer_series(&self, email: &str) -> Result<String, JsError> {
        self.inner.customer_series(email).map(|v| to_json(&v)).map_err(js_err)
    }

    /// Bytes of wasm linear memory in use (it only grows).
    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes() -> f64 {
        (core::arch::wasm32::memory_size(0) * 65536) as f64
    }

    /// Parse and check an S3 transfer manifest (`docs/manifest.md`); returns it as JSON.
    /// Errors name the field, never a URL.
    #[wasm_bindgen(js_name = parseManifest)]
    pub fn parse_manifest(text: &str) -> Result<String, JsError> {
        manifest::Manifest::parse(text).map(|m| to_json(&m)).map_err(js_err)
    }

    /// How an output of `size` bytes travels to its manifest target (JSON of one `outputs` entry):
    /// 0 = one PUT, n > 1 = that many multipart parts. Throws when neither can carry it.
    #[wasm_bindgen(js_name = uploadPlan)]
    pub fn upload_plan(target: &str, size: f64) -> Result<u32, JsError> {
        let t: manifest::OutputTarget = serde_json::from_str(target).map_err(js_err)?;
        match t.plan(size as u64).map_err(js_err)? {
            manifest::Plan::Single => Ok(0),
            manifest::Plan::Multipart { parts } => Ok(parts as u32),
        }
    }

    /// Every http(s) URL in `text` cut to scheme, host and path: the one redaction rule for
    /// anything the page shows or logs.
    #[wasm_bindgen(js_name = redactText)]
    pub fn redact_text(text: &str) -> String {
        manifest::redact_in_text(text)
    }
}
