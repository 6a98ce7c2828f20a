//! The JavaScript API (wasm-bindgen): a thin, typed layer over [`crate::Lake`]. Structured
//! results are built as JSON text by serde_json and cross to JS as the object `JSON.parse` makes
//! of it ([`Json`]): no serializer per type in the module (serde-wasm-bindgen would add one) and
//! the same numbers and key order as `summary.json`. Their TypeScript types are written out
//! below ([`TS_TYPES`], checked against real results by `tests/package.test.mjs`); bytes cross as
//! `Uint8Array`, and every error becomes a JS `Error` carrying the same message the CLI prints.

use std::ops::Deref;

use wasm_bindgen::convert::IntoWasmAbi;
use wasm_bindgen::describe::WasmDescribe;
use wasm_bindgen::prelude::*;

use crate::ddl::{self, DdlOptions};
use crate::lake;
use crate::manifest;
use crate::{Mode, Output, RunOptions, Source};

#[wasm_bindgen]
extern "C" {
    /// The host's `JSON.parse` (never throws here: the text is serde_json's).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &str) -> JsValue;
    /// The host's `JSON.stringify`; `None` for `undefined` or a function, an error for a cycle or
    /// a BigInt.
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(value: &JsValue) -> Result<Option<String>, JsValue>;
}

/// A structured result: JSON text that reaches JS as the value `JSON.parse` makes of it (an
/// object or array, typed in `stedi_lake.d.ts` by the method's `unchecked_return_type`), and that
/// Rust callers (the wasm-bindgen tests) read as `&str`. Integers cross as JS numbers, exact up to
/// 2^53: counts and millisecond epochs are far below; an epoch given in nanoseconds (flagged by the
/// quality report) arrives rounded.
pub struct Json(String);

impl Json {
    fn of<T: serde::Serialize + ?Sized>(v: &T) -> Json {
        Json(serde_json::to_string(v).expect("reports serialize"))
    }
}

impl Deref for Json {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

// `Json` crosses the ABI exactly as the `JsValue` it becomes (wasm-bindgen is pinned in
// Cargo.toml, so these conversion traits cannot change under us).
impl WasmDescribe for Json {
    fn describe() {
        JsValue::describe()
    }
}

impl IntoWasmAbi for Json {
    type Abi = <JsValue as IntoWasmAbi>::Abi;
    fn into_abi(self) -> Self::Abi {
        json_parse(&self.0).into_abi()
    }
}

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

/// The TypeScript types of the structured results, added to `stedi_lake.d.ts`. They mirror the
/// serde shapes of `summary::Summary`, `ingest::FileReport`, `quality::QualityReport`,
/// `manifest::Manifest`, `explore::CustomerSeries` and the table columns (`tables.rs`); a change
/// there must change them too (`tests/package.test.mjs` type-checks real results against them).
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A landing source. */
export type Source = "customer" | "accelerometer" | "step_trainer";
/** A rule set: `strict` (the documented semantics) or `rubric` (the course's joins). */
export type Mode = "strict" | "rubric";
/** A table's zone. */
export type Zone = "landing" | "trusted" | "curated";
/** Every table, landing to curated. */
export type TableName =
  | "customer_landing" | "accelerometer_landing" | "step_trainer_landing"
  | "customer_trusted" | "accelerometer_trusted" | "step_trainer_trusted"
  | "customers_curated" | "machine_learning_curated";
/** Why a record was quarantined. */
export type Reason =
  | "malformed_json" | "not_an_object" | "missing_required" | "wrong_type" | "duplicate_key"
  | "too_long" | "truncated" | "binary" | "unrouted";
/** Quarantined records by reason (reasons with none are absent). */
export type ReasonCounts = { [R in Reason]?: number };

/** Where a file's bytes went: `text_bytes = kept_bytes + quarantined_bytes + framing_bytes`. */
export interface Coverage {
  /** Bytes of text read (a UTF-16 file: its text as UTF-8). */
  text_bytes: number;
  kept_bytes: number;
  /** A file rejected whole: all its bytes. */
  quarantined_bytes: number;
  /** Blanks, line breaks, `[` `]`, separators, byte-order marks. */
  framing_bytes: number;
}

/** What happened to one landing file (`addFile`, `closeFile`, `summary.files`). */
export interface FileReport {
  name: string;
  /** `null`: the file matched no source (its records are `unrouted`). */
  source: Source | null;
  /** `given` (the `source` argument), `path` (folder or file name), `keys` (a record's keys), `none`. */
  routed_by: "given" | "path" | "keys" | "none";
  bytes: number;
  encoding: "utf-8" | "utf-16le" | "utf-16be" | "binary";
  records: number;
  kept: number;
  quarantined: number;
  coverage: Coverage;
  /** Set when the whole file was rejected (binary, not STEDI data). */
  error: string | null;
}

/** Per-source record accounting: `records_read = kept + quarantined_total`. */
export interface SourceCounts {
  files: number;
  bytes: number;
  records_read: number;
  kept: number;
  quarantined_total: number;
  quarantined: ReasonCounts;
  coverage: Coverage;
}

/** One table in `summary.json`. */
export interface TableSummary {
  zone: Zone;
  /** The tables it is derived from, main input first (`[]` for landing tables). */
  from: TableName[];
  rows: number;
  columns: string[];
  /** Output paths (Hive layout), for `output(path)`. */
  paths: { parquet: string; ndjson: string; ddl: string };
}

/** One rule's effect on a table's rows. */
export interface RuleEffect {
  rule: string;
  why: string;
  /** Rows removed (for a join: input rows without a partner). */
  removed: number;
  /** Rows a join added. */
  added: number;
}

/** How a derived table came from its input: `rows_in - Σ removed + Σ added = rows_out`. */
export interface Flow {
  table: TableName;
  from: TableName;
  rows_in: number;
  rules: RuleEffect[];
  rows_out: number;
}

/** A path under the inputs that was not read, and why. */
export interface SkippedFile {
  name: string;
  reason: string;
}

/** `summary.json` (`run`, `summary`). */
export interface Summary {
  mode: Mode;
  /** Every table, keys in pipeline order (landing, trusted, curated). */
  tables: Record<TableName, TableSummary>;
  sources: Record<Source, SourceCounts>;
  /** Records of files that matched no source. */
  unrouted: SourceCounts;
  /** One entry per derived table. */
  rules: Flow[];
  /** Every byte of every file is in a kept record, a quarantined record or framing. */
  covered: boolean;
  /** `covered`, and every source and every rule balances. */
  accounted: boolean;
  files: FileReport[];
  skipped: SkippedFile[];
}

/** One quarantined record. */
export interface QuarantinedRecord {
  file: string;
  line: number;
  /** `null` when the file could not be routed. */
  source: Source | null;
  reason: Reason;
  detail: string;
  /** The record's text, cut to a few hundred bytes. */
  raw: string;
}

/** Epoch values of one kind, per source. */
export interface EpochCounts {
  customer: number;
  accelerometer: number;
  step_trainer: number;
}

/** The data-quality report (`quality`, `data_quality.json`). */
export interface QualityReport {
  quarantined: {
    total: number;
    by_source: Record<Source, ReasonCounts> & { unrouted?: ReasonCounts };
    rejected_files: { file: string; error: string }[];
    /** The first 10,000 records; the rest are counted in `records_not_listed`. */
    records: QuarantinedRecord[];
    records_not_listed: number;
  };
  shared_serials: {
    serials: number;
    customers: number;
    list: { serial_number: string; emails: string[] }[];
  };
  duplicate_emails: {
    emails: number;
    rows: number;
    with_conflicting_consent: number;
    list: {
      email: string;
      rows: number;
      research_consent_values: (number | null)[];
      conflicting_consent: boolean;
    }[];
  };
  exact_duplicates: { accelerometer: number; step_trainer: number };
  readings_before_consent: { accelerometer: number; step_trainer: number };
  readings_without_owner: { no_owner: number; ambiguous_owner: number };
  accelerometer_unknown_user: number;
  consent_not_a_date: {
    rows: number;
    customers_not_trusted_in_strict: number;
    list: { email: string; share_with_research_as_of_date: number; latest_row: boolean }[];
  };
  conflicting_step_readings: {
    instants: number;
    readings: number;
    examples: { serial_number: string; sensor_reading_time: number; distances: (number | null)[] }[];
  };
  /** Milliseconds, `[from, to)`. */
  plausible_epoch_range_ms: [number, number];
  epochs_in_seconds: EpochCounts;
  epochs_in_microseconds: EpochCounts;
  epochs_in_nanoseconds: EpochCounts;
  epochs_out_of_range: EpochCounts;
  /** Keys of kept records that no source defines: the records are kept, these values are in no table. */
  schema_drift: { source: Source; key: string; count: number; first_file: string; first_line: number }[];
  /** Occurrences of drifted keys beyond the listed (alphabetically first 1,000 per source) ones. */
  schema_drift_not_listed: number;
}

/** A row of `customer_landing`, `customer_trusted`, `customers_curated` (epochs in ms). */
export interface CustomerRow {
  customerName: string | null;
  email: string;
  phone: string | null;
  birthDay: string | null;
  serialNumber: string | null;
  registrationDate: number | null;
  lastUpdateDate: number | null;
  shareWithResearchAsOfDate: number | null;
  shareWithPublicAsOfDate: number | null;
  shareWithFriendsAsOfDate: number | null;
}
/** A row of `accelerometer_landing`, `accelerometer_trusted`. */
export interface AccelerometerRow {
  user: string;
  timestamp: number;
  x: number | null;
  y: number | null;
  z: number | null;
}
/** A row of `step_trainer_landing`, `step_trainer_trusted`. */
export interface StepTrainerRow {
  sensorReadingTime: number;
  serialNumber: string;
  distanceFromObject: number | null;
}
/** A row of `machine_learning_curated` in strict mode (no personal data: `deviceId`). */
export interface MachineLearningStrictRow {
  sensorReadingTime: number;
  deviceId: number;
  distanceFromObject: number | null;
  timestamp: number;
  x: number | null;
  y: number | null;
  z: number | null;
}
/** A row of `machine_learning_curated` in rubric mode. */
export interface MachineLearningRubricRow {
  sensorReadingTime: number;
  serialNumber: string;
  distanceFromObject: number | null;
  user: string;
  timestamp: number;
  x: number | null;
  y: number | null;
  z: number | null;
}
/** The row type of each table (`rows`). */
export interface TableRow {
  customer_landing: CustomerRow;
  accelerometer_landing: AccelerometerRow;
  step_trainer_landing: StepTrainerRow;
  customer_trusted: CustomerRow;
  accelerometer_trusted: AccelerometerRow;
  step_trainer_trusted: StepTrainerRow;
  customers_curated: CustomerRow;
  machine_learning_curated: MachineLearningStrictRow | MachineLearningRubricRow;
}
/** Any table's row. */
export type Row = TableRow[TableName];

/** One customer's trusted readings, sorted by time (`customerSeries`). */
export interface CustomerSeries {
  email: string;
  /** `[timestamp, x, y, z]`. */
  accelerometer: [number, number | null, number | null, number | null][];
  /** `[sensorReadingTime, distanceFromObject]`. */
  step_trainer: [number, number | null][];
}

/** Where a file would be routed, from its name and first bytes (`sniff`). */
export interface Sniff {
  source: Source | null;
  by: "path" | "keys" | "none";
}

/** Why a path is not landing data. */
export type SkipKind = "engine_output" | "hidden" | "bookkeeping" | "outside_landing";
/** One path's verdict (`selectFiles`): `skip` is `null` for landing data. */
export interface FileSelection {
  path: string;
  skip: { kind: SkipKind; reason: string } | null;
}

/** An S3 transfer manifest (`parseManifest`; `docs/manifest.md`). */
export interface Manifest {
  format: "stedi-lake-manifest";
  version: 1;
  /** `s3://bucket/prefix`. */
  location: string;
  region: string;
  /** RFC 3339 UTC. */
  created: string;
  expires: string;
  landing: LandingObject[];
  skipped: { key: string; reason: string }[];
  outputs: OutputTarget[];
}
/** A landing object to read through its presigned GET. */
export interface LandingObject {
  key: string;
  /** `null`: route by the records' keys. */
  source: Source | null;
  size: number;
  get: string;
}
/** Where one output goes (`uploadPlan`'s `target`). */
export interface OutputTarget {
  /** The engine's output path. */
  path: string;
  key: string;
  /** Send exactly this Content-Type. */
  content_type: string;
  put: string;
  multipart?: {
    upload_id: string;
    /** Every part but the last is exactly this long. */
    part_size: number;
    parts: string[];
    complete: string;
    abort: string;
  };
  /** Objects of the table folder to delete once this output is uploaded. */
  stale?: { key: string; delete: string }[];
}

export interface Lake {
  /**
   * Rows `offset..offset+limit` of a table (fewer at its end), one object per row keyed by
   * column, typed by the table. Throws for an unknown table or before a run.
   */
  rows<T extends TableName>(table: T, offset: number, limit: number): TableRow[T][];
}
/** One file of the AWS Glue job bundle (`Lake.glueBundle`): its path in the bundle and its text. */
export interface GlueFile { path: string; text: string }
"#;

/// A landing → trusted → curated run in the browser or Node.
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
    /// `new Lake()`: an empty lake, no files read, no results.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Lake {
        Lake {
            inner: lake::Lake::new(),
        }
    }

    /// Read a whole file. `source` forces the source; otherwise the name, then the keys decide.
    /// Returns the file's report. Throws for an unknown `source`.
    #[wasm_bindgen(js_name = addFile, unchecked_return_type = "FileReport")]
    pub fn add_file(
        &mut self,
        name: &str,
        bytes: &[u8],
        #[wasm_bindgen(unchecked_optional_param_type = "Source | null")] source: Option<String>,
    ) -> Result<Json, JsError> {
        let source = parse_source(source)?;
        Ok(Json::of(self.inner.add_file(name, source, bytes)))
    }

    /// Start a file that will arrive in chunks through `feed`; `source` as for `addFile`.
    #[wasm_bindgen(js_name = openFile)]
    pub fn open_file(
        &mut self,
        name: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Source | null")] source: Option<String>,
    ) -> Result<(), JsError> {
        let source = parse_source(source)?;
        self.inner.open_file(name, source);
        Ok(())
    }

    /// The next chunk of the open file.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.inner.feed(chunk);
    }

    /// Finish the open file; returns its report. Throws when no file is open.
    #[wasm_bindgen(js_name = closeFile, unchecked_return_type = "FileReport")]
    pub fn close_file(&mut self) -> Result<Json, JsError> {
        self.inner
            .close_file()
            .map(Json::of)
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

    /// Apply the zone rules; returns `summary.json`. `location`/`database` go into the DDL
    /// (absent or empty: the defaults). Throws for an unknown mode, a location or database the DDL
    /// refuses, or a derived table over the row limit (refused before it is built).
    #[wasm_bindgen(unchecked_return_type = "Summary")]
    pub fn run(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Mode")] mode: &str,
        location: Option<String>,
        database: Option<String>,
    ) -> Result<Json, JsError> {
        let (mode, ddl) = mode_and_ddl(mode, location, database)?;
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

    /// `summary.json` of the last run. Throws before a run.
    #[wasm_bindgen(unchecked_return_type = "Summary")]
    pub fn summary(&self) -> Result<Json, JsError> {
        self.inner.summary().map(|s| Json::of(&s)).map_err(js_err)
    }

    /// The data-quality report of the last run (`data_quality.json`). Throws before a run.
    #[wasm_bindgen(unchecked_return_type = "QualityReport")]
    pub fn quality(&self) -> Result<Json, JsError> {
        self.inner.quality().map(|q| Json::of(&q)).map_err(js_err)
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

    /// One output's bytes (a path of `outputPaths`). Throws before a run.
    pub fn output(&self, path: &str) -> Result<Vec<u8>, JsError> {
        self.inner.output(path).map_err(js_err)
    }

    /// How many landing chunks `table` (`accelerometer_landing` or `step_trainer_landing`) has for
    /// a `LandingWriter` in another worker (65,536 rows per chunk; 0 for any other table). With
    /// `full_only`, only the full ones: final while files are still being read. Throws for an
    /// unknown table name.
    #[wasm_bindgen(js_name = landingChunks)]
    pub fn landing_chunks(&self, table: &str, full_only: bool) -> Result<usize, JsError> {
        Ok(self.inner.landing_chunk_count(table_id(table)?, full_only))
    }

    /// Chunk `k` of landing table `table`, as bytes for `LandingWriter.push` (see
    /// `sink::landing_chunks`). Throws for an unknown table or chunk.
    #[wasm_bindgen(js_name = landingChunk)]
    pub fn landing_chunk(&self, table: &str, k: usize) -> Result<Vec<u8>, JsError> {
        self.inner.landing_chunk(table_id(table)?, k).map_err(js_err)
    }

    /// The rows of landing table `table` from chunk `fromChunk` on as a Parquet file of their own,
    /// for `LandingWriter.finish` in a writer sent chunks `0..fromChunk`: the row groups the
    /// whole table's file ends with (`sink::landing_chunks::write_tail`). `fromChunk` must be a
    /// multiple of `Lake.rowGroupChunks()`. Throws for an unknown table, a chunk that does not
    /// start a row group, or one at or past the last chunk.
    #[wasm_bindgen(js_name = landingTail)]
    pub fn landing_tail(&self, table: &str, from_chunk: usize) -> Result<Vec<u8>, JsError> {
        self.inner.landing_tail(table_id(table)?, from_chunk).map_err(js_err)
    }

    /// Landing chunks per Parquet row group (16 of 65,536 rows): where a `landingTail` may start.
    #[wasm_bindgen(js_name = rowGroupChunks)]
    pub fn row_group_chunks() -> usize {
        crate::sink::landing_chunks::ROW_GROUP_CHUNKS
    }

    /// The emails from id `emails_from` on and the serial numbers from `serials_from` on, as
    /// bytes for `LandingWriter.addStrings`.
    #[wasm_bindgen(js_name = landingStrings)]
    pub fn landing_strings(&self, emails_from: usize, serials_from: usize) -> Vec<u8> {
        self.inner.landing_strings(emails_from, serials_from)
    }

    /// `[emails, serial numbers]` interned so far (the `from` of the next `landingStrings`).
    #[wasm_bindgen(js_name = landingStringCounts)]
    pub fn landing_string_counts(&self) -> Vec<u32> {
        let (e, s) = self.inner.landing_string_counts();
        vec![e as u32, s as u32]
    }

    /// One output (a path of `outputPaths`) handed to `sink` in pieces of at most 1 MiB, in order:
    /// unlike `output`, its bytes are never one growing buffer in wasm memory (a buffer that
    /// doubles holds up to three times the file while it grows, and wasm memory never shrinks).
    /// A Parquet file's pieces are handed over as its row groups fill, so wasm holds at most a
    /// row group of it; a text output's (NDJSON, reports, DDL) as each piece fills, so wasm holds
    /// at most what its writer buffers (NDJSON: 65,536 rows, a few MiB) and a piece, not the file
    /// (an NDJSON table is ~6x its Parquet file: real x100 distinct, 640 MB for the readings).
    /// Returns the bytes handed over. Throws before a run, for an unknown path, or what `sink`
    /// threw.
    #[wasm_bindgen(js_name = writeOutput)]
    pub fn write_output(
        &self,
        path: &str,
        #[wasm_bindgen(unchecked_param_type = "(piece: Uint8Array) => void")] sink: &js_sys::Function,
    ) -> Result<f64, JsValue> {
        let o = Output::parse(path).ok_or_else(|| JsValue::from(js_err(lake::Error::UnknownOutput(path.into()))))?;
        let to_js = |e: lake::Error| JsValue::from(js_err(e));
        let mut pieces = crate::sink::Pieces::default();
        let mut total = 0.0;
        if let Output::Parquet(t) = o {
            let view = self.inner.table(t).map_err(to_js)?;
            let mut thrown = None; // what `sink` threw, rethrown as it was
            let written = crate::sink::parquet::write_with(&view, pieces, |p| {
                total += hand_over(p, sink).map_err(|e| {
                    thrown = Some(e);
                    parquet::errors::ParquetError::General("the sink threw".into())
                })?;
                Ok(())
            });
            match (written, thrown) {
                (_, Some(e)) => return Err(e),
                (Err(e), None) => return Err(to_js(lake::Error::Write(e.to_string()))),
                (Ok(rest), None) => pieces = rest,
            }
        } else {
            let mut out = HandOver {
                pieces,
                sink,
                total: 0.0,
                thrown: None,
            };
            let written = self.inner.write_text_output(o, &mut out);
            if let Some(e) = out.thrown {
                return Err(e);
            }
            written.map_err(to_js)?;
            (pieces, total) = (out.pieces, out.total);
        }
        Ok(total + hand_over(&mut pieces, sink)?)
    }

    /// Rows `offset..offset+limit` of a table (fewer at its end), one object per row keyed by
    /// column. Throws for an unknown table or before a run. Its TypeScript signature, generic in
    /// the table, is in [`TS_TYPES`] (`interface Lake`).
    #[wasm_bindgen(skip_typescript)]
    pub fn rows(&self, table: &str, offset: usize, limit: usize) -> Result<Json, JsError> {
        self.inner.rows_json(table, offset, limit).map(Json).map_err(js_err)
    }

    /// Where a file would be routed before reading it all, from its name and first bytes (the
    /// same rule ingest applies).
    #[wasm_bindgen(unchecked_return_type = "Sniff")]
    pub fn sniff(name: &str, head: &[u8]) -> Json {
        let (source, by) = crate::ingest::sniff(name, head);
        Json::of(&serde_json::json!({ "source": source.map(Source::name), "by": by }))
    }

    /// The AWS Glue job bundle for `mode` with the tables at `location` in Glue database
    /// `database` (absent or empty: the defaults): the same files, byte for byte, as
    /// `stedi-lake glue` writes (`glue::bundle`). Throws for an unknown mode or a location or
    /// database the DDL refuses.
    #[wasm_bindgen(js_name = glueBundle, unchecked_return_type = "GlueFile[]")]
    pub fn glue_bundle(
        #[wasm_bindgen(unchecked_param_type = "Mode")] mode: &str,
        location: Option<String>,
        database: Option<String>,
    ) -> Result<Json, JsError> {
        let (mode, ddl) = mode_and_ddl(mode, location, database)?;
        Ok(Json::of(&crate::glue::bundle(mode, &ddl)))
    }

    /// Which of the given paths are landing data: the one rule (`ingest::select`) the CLI applies
    /// to a local folder and `presign` to an S3 prefix. `paths` are relative (`/`-separated, the
    /// dropped or picked folder's name first); the verdicts come in the same order.
    #[wasm_bindgen(js_name = selectFiles, unchecked_return_type = "FileSelection[]")]
    pub fn select_files(paths: Vec<String>) -> Json {
        let verdicts = crate::ingest::select::select(&paths);
        let out: Vec<serde_json::Value> = paths
            .iter()
            .zip(verdicts)
            .map(|(path, skip)| {
                let skip = skip.map(|s| serde_json::json!({ "kind": s, "reason": s.reason() }));
                serde_json::json!({ "path": path, "skip": skip })
            })
            .collect();
        Json::of(&out)
    }

    /// Emails of `customers_curated` without repeats, those with the most trusted readings
    /// first. Throws before a run.
    #[wasm_bindgen(js_name = curatedEmails, unchecked_return_type = "string[]")]
    pub fn curated_emails(&self) -> Result<Json, JsError> {
        self.inner.curated_emails().map(|v| Json::of(&v)).map_err(js_err)
    }

    /// One customer's trusted readings (empty for an unknown email). Throws before a run.
    #[wasm_bindgen(js_name = customerSeries, unchecked_return_type = "CustomerSeries")]
    pub fn customer_series(&self, email: &str) -> Result<Json, JsError> {
        self.inner.customer_series(email).map(|v| Json::of(&v)).map_err(js_err)
    }

    /// Bytes the wasm linear memory has grown to (it only grows, up to 4 GiB; the allocator grows
    /// it by up to 1/16 ahead of use, `wasm_alloc.rs`).
    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes() -> f64 {
        core::arch::wasm32::memory_size(0) as f64 * 65536.0
    }

    /// Run a small made-up landing set through what the engine worker does in a run (both
    /// modes' rules, every output, the landing chunks' export) and throw the results away, so
    /// that its first real run uses optimized code. Why: V8 compiles wasm with a baseline tier
    /// first and swaps in optimized code for a function only on its next call, and the rules are
    /// one long call: the page's first run applied them in baseline code (real x100 in Node:
    /// 0.67-0.87 s against 0.44 s warm; after this call 0.47-0.59 s; docs/performance.md). It
    /// takes 0.1-0.3 s; the engine worker calls it once at start, while the user picks files.
    /// (The landing writer worker is not warmed: it pushes one chunk per call, so its code is
    /// optimized after its first chunks.)
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up() {
        use crate::sink::landing_chunks;
        let mut lake = crate::Lake::new();
        let mut text = String::new();
        for u in 0..20 {
            text += &format!(
                "{{\"customerName\":\"C{u}\",\"email\":\"u{u}@x.test\",\"serialNumber\":\"S{u}\",\"registrationDate\":1,\"lastUpdateDate\":1,\"shareWithResearchAsOfDate\":1}}\n"
            );
        }
        lake.add_file("customer/c.json", None, text.as_bytes());
        text.clear();
        for i in 0..WARM_UP_ROWS {
            text += &format!(
                "{{\"user\":\"u{}@x.test\",\"timestamp\":{},\"x\":1.0,\"y\":0.0,\"z\":-1.0}}\n",
                i % 20,
                1_655_564_000_000u64 + i as u64
            );
        }
        lake.add_file("accelerometer/a.json", None, text.as_bytes());
        text.clear();
        for i in 0..WARM_UP_ROWS / 4 {
            text += &format!(
                "{{\"sensorReadingTime\":{},\"serialNumber\":\"S{}\",\"distanceFromObject\":{}}}\n",
                1_655_564_000_000u64 + 4 * i as u64,
                i % 20,
                i % 300
            );
        }
        lake.add_file("step_trainer/s.json", None, text.as_bytes());
        for mode in [Mode::Strict, Mode::Rubric] {
            let options = RunOptions {
                mode,
                ..Default::default()
            };
            if lake.run(options).is_ok() {
                for o in Output::all() {
                    // `&mut Pieces`: the writer type writeOutput uses, so no second copy of
                    // the encoder is compiled in (and the one warmed up is the one used).
                    #[allow(clippy::needless_borrows_for_generic_args)]
                    let _ = lake.write_output(o, &mut crate::sink::Pieces::default());
                }
            }
        }
        for id in landing_chunks::TABLES {
            let _ = lake.landing_chunk(id, 0);
        }
        let _ = lake.landing_strings(0, 0);
    }

    /// Parse and check an S3 transfer manifest (`docs/manifest.md`). Throws with a message that
    /// names the field, never a URL.
    #[wasm_bindgen(js_name = parseManifest, unchecked_return_type = "Manifest")]
    pub fn parse_manifest(text: &str) -> Result<Json, JsError> {
        manifest::Manifest::parse(text).map(|m| Json::of(&m)).map_err(js_err)
    }

    /// How an output of `size` bytes travels to its manifest target (an entry of the manifest's
    /// `outputs`): 0 = one PUT, n > 1 = that many multipart parts. Throws when neither can carry it
    /// or `target` is not such an entry.
    #[wasm_bindgen(js_name = uploadPlan)]
    pub fn upload_plan(
        #[wasm_bindgen(unchecked_param_type = "OutputTarget")] target: JsValue,
        size: f64,
    ) -> Result<u32, JsError> {
        let text = json_stringify(&target)
            .ok()
            .flatten()
            .ok_or_else(|| js_err("uploadPlan expects an entry of the manifest's outputs"))?;
        let t: manifest::OutputTarget = serde_json::from_str(&text)
            .map_err(|e| js_err(format!("uploadPlan expects an entry of the manifest's outputs: {e}")))?;
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

/// The mode and DDL options a JS caller names: absent or empty location/database are the
/// defaults; anything given is validated (`DdlError`'s message). Throws for an unknown mode.
fn mode_and_ddl(mode: &str, location: Option<String>, database: Option<String>) -> Result<(Mode, DdlOptions), JsError> {
    let mode = Mode::parse(mode).ok_or_else(|| js_err(format!("unknown mode '{mode}' (expected strict or rubric)")))?;
    let location = location.filter(|l| !l.is_empty());
    let database = database.filter(|d| !d.is_empty());
    let ddl = DdlOptions::new(
        location.as_deref().unwrap_or(ddl::DEFAULT_LOCATION),
        database.as_deref().unwrap_or(ddl::DEFAULT_DATABASE),
    )
    .map_err(js_err)?;
    Ok((mode, ddl))
}

/// A writer that hands each full piece to a JS function as soon as it fills (`writeOutput`'s
/// text outputs): what the function throws stops the writing and is kept in `thrown`.
struct HandOver<'a> {
    pieces: crate::sink::Pieces,
    sink: &'a js_sys::Function,
    /// Bytes handed over.
    total: f64,
    thrown: Option<JsValue>,
}

impl std::io::Write for HandOver<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.pieces.write(buf)?;
        match send(self.pieces.take_full(), self.sink) {
            Ok(bytes) => self.total += bytes,
            Err(e) => {
                self.thrown = Some(e);
                return Err(std::io::Error::other("the sink threw"));
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hand every piece written so far to the JS function `sink`, in order (each dropped once handed);
/// returns the bytes handed over.
fn hand_over(pieces: &mut crate::sink::Pieces, sink: &js_sys::Function) -> Result<f64, JsValue> {
    send(pieces.take(), sink)
}

/// Hand `pieces` to the JS function `sink`, in order (each dropped once handed); returns the bytes
/// handed over.
fn send(pieces: Vec<Vec<u8>>, sink: &js_sys::Function) -> Result<f64, JsValue> {
    let mut total = 0usize;
    for piece in pieces {
        total += piece.len();
        sink.call1(&JsValue::NULL, &js_sys::Uint8Array::from(&piece[..]))?;
    }
    Ok(total as f64)
}

/// Accelerometer rows of [`Lake::warm_up`]'s made-up landing set (a quarter as many step_trainer
/// rows). Measured in Node: with 2,000 the first real run's rules were still slow once in two
/// (V8 tiers a function up once it has run enough); with 10,000, in none of three.
const WARM_UP_ROWS: usize = 10_000;

fn table_id(table: &str) -> Result<crate::tables::TableId, JsError> {
    crate::tables::TableId::parse(table).ok_or_else(|| js_err(lake::Error::UnknownTable(table.into())))
}

/// One typed landing table (`accelerometer_landing` or `step_trainer_landing`) written as Parquet
/// from a Lake's landing chunks in another worker, byte for byte the file `Lake.output` gives
/// (`sink::landing_chunks`): the page writes `accelerometer_landing`, the largest output, this
/// way while the engine worker applies the rules.
#[wasm_bindgen]
pub struct LandingWriter {
    inner: Option<crate::sink::landing_chunks::LandingWriter<crate::sink::Pieces>>,
}

#[wasm_bindgen]
impl LandingWriter {
    /// A writer of `table` (`accelerometer_landing` or `step_trainer_landing`). Throws for
    /// another table.
    #[wasm_bindgen(constructor)]
    pub fn new(table: &str) -> Result<LandingWriter, JsError> {
        let w =
            crate::sink::landing_chunks::LandingWriter::new(table_id(table)?, Default::default()).map_err(write_err)?;
        Ok(LandingWriter { inner: Some(w) })
    }

    /// The landing's next strings (`Lake.landingStrings` from what was sent before), before the
    /// chunks that use them. Throws for bytes that are not that.
    #[wasm_bindgen(js_name = addStrings)]
    pub fn add_strings(&mut self, strings: &[u8]) -> Result<(), JsError> {
        let w = self.inner.as_mut().ok_or_else(finished)?;
        w.add_strings(strings).map_err(write_err)
    }

    /// Write the next chunk (`Lake.landingChunk`, chunks in order), then hand the finished row
    /// groups to `sink` in pieces (as `Lake.writeOutput`). Returns the bytes handed over.
    /// Throws for bytes that are not a chunk of this table, or what `sink` threw.
    pub fn push(
        &mut self,
        chunk: &[u8],
        #[wasm_bindgen(unchecked_param_type = "(piece: Uint8Array) => void")] sink: &js_sys::Function,
    ) -> Result<f64, JsValue> {
        let w = self.inner.as_mut().ok_or_else(|| JsValue::from(finished()))?;
        w.push(chunk).map_err(|e| JsValue::from(write_err(e)))?;
        hand_over(w.out(), sink)
    }

    /// Write the last row group and the footer, and hand the rest of the file to `sink`. With
    /// `tail` (`Lake.landingTail(table, fromChunk)` for `fromChunk` the number of chunks pushed
    /// here, a whole number of row groups), the file ends with its row groups instead, copied as
    /// they are: the same file as every chunk pushed here gives. Returns the bytes handed over.
    /// Throws after an earlier finish, for a `tail` that does not fit (its footer says which row
    /// it starts at; it must be the next one), or what `sink` threw.
    pub fn finish(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "(piece: Uint8Array) => void")] sink: &js_sys::Function,
        tail: Option<Vec<u8>>,
    ) -> Result<f64, JsValue> {
        let w = self.inner.take().ok_or_else(|| JsValue::from(finished()))?;
        let done = match tail {
            Some(tail) => w.finish_with_tail(tail),
            None => w.finish(),
        };
        let mut rest = done.map_err(|e| JsValue::from(write_err(e)))?;
        hand_over(&mut rest, sink)
    }
}

/// A landing writer's error, as the CLI words a failed write.
fn write_err(e: parquet::errors::ParquetError) -> JsError {
    js_err(lake::Error::Write(e.to_string()))
}

/// A landing writer used after `finish`.
fn finished() -> JsError {
    JsError::new("the landing writer is finished")
}
