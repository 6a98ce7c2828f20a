// @ts-check
// Every message between the page, the engine worker, the decode workers and the reader workers,
// by name. A message is a plain object with a `type` from below; the typedefs say what else it carries.
//
//   page ──Request {type: REQUEST.*, id, ...}──▶ engine worker (engine/worker.js, owns the wasm Lake)
//   page ◀──Event {type: EVENT.PROGRESS | FILE, id} (any number) then one REPLY | RESULT | ERROR──
//   engine worker ──DecodeShare {files}──▶ decode worker (engine/decoder.js, large local sets)
//   engine worker ◀──DECODE.READ | PARSED | FILE (any number) then DECODE.DONE | ERROR──
//   engine or decode worker ──ReadShare {files, ahead}, then {ack: bytes} …──▶ reader worker (engine/reader.js)
//   engine or decode worker ◀──READER.WINDOW (in file order) … | READER.ERROR──
//   engine worker ──LANDING.START, LANDING.STRINGS and LANDING.CHUNK …, LANDING.FINISH {tail?}──▶ landing writer (engine/landing-writer.js)
//   engine worker ◀──LANDING.DONE {bytes} | LANDING.ERROR──
//
// Cancel is not a message: the page terminates the engine worker and starts a new one (the only
// way to stop wasm mid-call). Files cross as File/Blob handles (never their bytes), outputs as
// transferred Uint8Arrays; a presigned URL never crosses to the page (engine/upload.js).

/** What the page asks the engine worker (engine/client.js `ask`; engine/worker.js answers). */
export const REQUEST = Object.freeze({
  /** {paths: string[]} → {results: FileSelection[]}: which paths are landing data. */
  SELECT: 'select',
  /** {files: SniffFile[]} → {results: SniffResult[]}: an early guess of each file's source, for display. */
  SNIFF: 'sniff',
  /** {text?, url?} → {info: ManifestInfo}: load an S3 manifest (kept in the worker). */
  MANIFEST: 'manifest',
  /** RunRequest → RunResult (as EVENT.RESULT), with EVENT.PROGRESS and EVENT.FILE on the way. */
  RUN: 'run',
  /** {} → {report: UploadEntry[], location}: write every output through the manifest. */
  UPLOAD: 'upload',
  /** {table, offset, limit} → {rows: object[]}: rows of a table of the last run. */
  ROWS: 'rows',
  /** {email} → {series: CustomerSeries}: one curated customer's readings, for the chart. */
  SERIES: 'series',
  /** {path} → {path, contentType, bytes: Uint8Array}: one output of the last run. */
  OUTPUT: 'output',
  /** {} → {blob: Blob}: every output of the last run in one zip. */
  ZIP: 'zip',
  /** {mode, location?} → {blob: Blob}: the AWS Glue job bundle (`stedi-lake glue`'s files) in one zip. */
  GLUE: 'glue',
});

/** Requests answered before any run (the others need the last run's results). */
export const WITHOUT_RUN = Object.freeze([REQUEST.SELECT, REQUEST.SNIFF, REQUEST.RUN, REQUEST.MANIFEST, REQUEST.GLUE]);

/** What the engine worker sends back; each carries the `id` of the request it answers. */
export const EVENT = Object.freeze({
  /** Progress: a ProgressEvent. */
  PROGRESS: 'progress',
  /**
   * Landing files were read: {reports: FileReport[]}, those read since the last, as they were
   * done (with several decode workers, each worker's in turn; the page matches them by name). Sent
   * with the progress, at most ten times a second: one message per file cost the page's main
   * thread ~0.25 s of a real x100 run's 1,300 files (docs/performance.md, session 13).
   */
  FILE: 'file',
  /** The answer to RUN: a RunResult. */
  RESULT: 'result',
  /** The answer to any other request. */
  REPLY: 'reply',
  /** The request failed: {message, fatal} (fatal: the wasm instance is unusable, restart the worker). */
  ERROR: 'error',
});

/** The phases progress is reported in (the page shows each as a bar, `#p-<phase>`). */
export const PHASE = Object.freeze({
  /** Bytes read from the files (done, total). */
  READ: 'read',
  /** Bytes fed to the engine (done, total, mbps). */
  PARSE: 'parse',
  /** The rules: 0 of 1, then 1 of 1. */
  JOIN: 'join',
  /** Parquet outputs built (done, total). */
  WRITE: 'write',
  /** Objects uploaded (done, with a fraction of the current one; total; sent: bytes S3 acknowledged). */
  UPLOAD: 'upload',
});

/** @typedef {{type: 'progress', id: number, phase: string, done: number, total: number, mbps?: number, sent?: number}} ProgressEvent */

/** What a decode worker sends the engine worker (it receives one DecodeShare). */
export const DECODE = Object.freeze({
  /** {bytes}: read from a file. */
  READ: 'read',
  /** {bytes}: fed to the engine. */
  PARSED: 'parsed',
  /** {report: FileReport}: a file is done. */
  FILE: 'file',
  /** {bytes: Uint8Array} (transferred): the share, decoded (Lake.exportIngest). */
  DONE: 'done',
  /** {message}: the share could not be decoded. */
  ERROR: 'error',
});

/** What a reader worker sends the worker that started it (it receives one ReadShare, then acks). */
export const READER = Object.freeze({
  /** {bytes: ArrayBuffer (transferred), segments: [index, start, length, last][]}: the next window of
   * the files read as one Blob, in order, cut at file boundaries (file `index`'s next `length` bytes
   * are at `start`; `last`: its final segment). */
  WINDOW: 'window',
  /** {index, message}: file `index` could not be read, or -1 when no single file is to blame (nothing follows). */
  ERROR: 'error',
});

/** Between the engine worker and its landing writer worker (both directions). */
export const LANDING = Object.freeze({
  /** → {table}: write `table` (accelerometer_landing or step_trainer_landing). */
  START: 'start',
  /** → {bytes: Uint8Array}: the strings interned since the last (Lake.landingStrings), before chunks that use them. */
  STRINGS: 'strings',
  /** → {bytes: Uint8Array} (transferred): the next landing chunk (Lake.landingChunk), in order, each once full. */
  CHUNK: 'chunk',
  /**
   * → {tail?: Uint8Array (transferred)}: no more chunks: finish the file, with `tail` (Lake.landingTail:
   * the table's row groups from the next chunk on, encoded by the engine worker; its footer says
   * which row it starts at, and the writer checks it) after the chunks' row groups.
   */
  FINISH: 'finish',
  /** ← {bytes: Uint8Array (transferred), memoryBytes}: the Parquet file, and the writer's wasm memory. */
  DONE: 'done',
  /** ← {message}: the file could not be written (nothing follows). */
  ERROR: 'error',
});

/**
 * @typedef {{type: 'start', table: string} | {type: 'strings', bytes: Uint8Array} | {type: 'chunk', bytes: Uint8Array} | {type: 'finish', tail?: Uint8Array}} LandingMessage
 */

// The engine's own result shapes are the wasm package's TypeScript types (pkg/stedi_lake.d.ts).
/** @typedef {import('../../pkg/stedi_lake.js').Summary} Summary */
/** @typedef {import('../../pkg/stedi_lake.js').TableSummary} TableSummary */
/** @typedef {import('../../pkg/stedi_lake.js').QualityReport} QualityReport */
/** @typedef {import('../../pkg/stedi_lake.js').FileReport} FileReport */
/** @typedef {import('../../pkg/stedi_lake.js').FileSelection} FileSelection */
/** @typedef {import('../../pkg/stedi_lake.js').CustomerSeries} CustomerSeries */
/** @typedef {import('../../pkg/stedi_lake.js').Source} Source */

/**
 * A landing file to read: a local File, or an S3 object by its index in the loaded manifest.
 * @typedef {object} RunFile
 * @property {string} name the path shown and reported (`landing/customer/x.json`, an S3 key)
 * @property {File} [file] a local file
 * @property {number} [remote] an S3 object: its index in the manifest's `landing`
 * @property {Source} [source] only when the user moved the file to a source; otherwise the engine routes it
 */

/**
 * @typedef {object} RunRequest
 * @property {'strict' | 'rubric'} mode
 * @property {string} [location] the S3 location the DDL names (from the manifest)
 * @property {number} [decoders] how many workers decode (`?decoders=N`); by default the worker decides
 * @property {number} [heldChunks] full landing chunks that wait for the end of reading (`?held=N`, tests); default 128
 * @property {boolean} [split] whether the engine worker encodes the accelerometer landing table's last row groups (engine/landing-share.js); `?split=0` says no (benchmarks); default yes
 * @property {RunFile[]} files in the order they are read
 */

/**
 * @typedef {object} RunResult
 * @property {Summary} summary `summary.json`
 * @property {QualityReport} quality `data_quality.json`
 * @property {string[]} emails curated customers, for the chart
 * @property {Record<string, number>} sizes bytes of each Parquet output
 * @property {Record<string, number>} timings seconds per phase (`…_s`; `starved_s`: the engine worker waiting for its files' bytes), bytes read, decoders used, and the accelerometer landing table's chunks encoded by the engine worker (`tail_chunks`) and sent to the landing writer while reading (`sent_while_reading`)
 * @property {number} memoryBytes the wasm memory after the run, summed over the workers alive at its end
 */

/** @typedef {{key: string, name: string, file: File}} SniffFile */
/** @typedef {{key: string, source: Source | null, by: 'path' | 'keys' | 'none' | 'unreadable', reason?: string}} SniffResult (`reason`: why a file could not be read) */
/** @typedef {{files: {name: string, file: File, source?: Source}[]}} DecodeShare */
/**
 * What a reader worker reads: `files` in order; at most `ahead` bytes posted and not yet
 * acknowledged (`{ack: bytes}` once a window is fed).
 * @typedef {{files: File[], ahead: number}} ReadShare
 */

/**
 * The page's view of a manifest: keys, sizes and expiry, never a URL.
 * @typedef {object} ManifestInfo
 * @property {string} location
 * @property {string} region
 * @property {string} created
 * @property {string} expires
 * @property {number | null} expiresMs the earliest expiry of any link (ms since the epoch)
 * @property {{index: number, key: string, source: Source | null, size: number}[]} landing
 * @property {{key: string, reason: string}[]} skipped
 * @property {{path: string, key: string, parts: number, stale: string[]}[]} outputs
 */

/**
 * One output in the upload report.
 * @typedef {object} UploadEntry
 * @property {string} path
 * @property {string} key
 * @property {number} size
 * @property {string} status 'uploaded' (S3 answered 2xx) or 'failed'
 * @property {string | null} etag
 * @property {string | null} method
 * @property {number} retries
 * @property {string | null} error
 * @property {boolean} [expired] the failure was an expired link
 * @property {boolean} [cors] the failure was the bucket's CORS rules
 * @property {string | null} note
 * @property {string[]} deleted stale objects of its table folder, deleted after it arrived
 * @property {{key: string, error: string, expired: boolean, cors: boolean}[]} not_deleted
 * @property {number} stale_kept stale objects left because the upload failed
 */
