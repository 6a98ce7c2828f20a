// @ts-check
// The engine's Web Worker: owns the wasm Lake, so the page never blocks. It answers the page's
// requests (engine/protocol.js REQUEST) one handler each, and holds the state of a session: the
// Lake of the last run, its Parquet outputs, and the loaded S3 manifest (URLs included, never
// posted to the page: the page receives its redacted view and messages passed through redact).
//
//   page (engine/client.js) ──{type, id, ...}──▶ handlers[type] ──▶ {type: EVENT.REPLY | RESULT, id, ...}
//                                           ├── run: engine/ingest.js (files → Lake, with engine/reader.js), then the
//                                           │   rules while engine/landing-writer.js writes the largest table (its last
//                                           │   row groups encoded here once the rest is done: engine/landing-share.js);
//                                           │   the reader and the writer are started before the run (engine/spare.js)
//                                           ├── manifest, upload: engine/upload.js
//                                           └── failure: {type: EVENT.ERROR, id, message, fatal} (engine/redact.js)
import init, { Lake } from '../../pkg/stedi_lake.js';
import { Zip, ZipDeflate, ZipPassThrough } from '../vendor/fflate.js';
import { ingest, prestartReader, throttle } from './ingest.js';
import { landingSender } from './landing-share.js';
import { EVENT, LANDING, PHASE, REQUEST, WITHOUT_RUN } from './protocol.js';
import { describe } from './redact.js';
import { spare } from './spare.js';
import { fetchLandingObject, loadManifest, upload } from './upload.js';

// Warmed up once the wasm is ready (Lake.warmUp: the first run's rules then use optimized code;
// 0.1-0.3 s at worker start, while the user picks files). It reads fixed input and returns
// nothing, so it can only fail by a trap, which leaves the instance unusable (engine/redact.js):
// then `ready` rejects and the first request reports it as fatal, and the page restarts the worker.
const ready = init().then(() => Lake.warmUp());
// The next run's reader and landing writer workers start while this one is idle (engine/spare.js):
// once the wasm is ready, and PRESTART_AFTER_RUN_MS after a run's answer, when the page has drawn
// its results (started at once, the writer compiling its wasm took CPU from that drawing: the
// page's longest main-thread pause in a 30 MB run went from 95-122 ms to 115-196 ms), unless a
// run is under way when the timer fires (it took workers of its own).
const writers = spare(new URL('./landing-writer.js', import.meta.url));
const PRESTART_AFTER_RUN_MS = 1000;
let running = false; // a run is under way
const prestart = () => {
  if (running) return;
  prestartReader();
  writers.start();
};
ready.then(prestart, () => {}); // a failed start is reported by the first request
let lake = null; // the Lake of the last run
let parquetCache = new Map(); // its Parquet outputs, built once by the run
let manifest = null; // the parsed manifest, URLs included: never posted to the page
let runs = 0; // runs started (a sniff under way stops when this changes)

const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);
const outputOf = (path) => parquetCache.get(path) ?? outputBytes(path);

/**
 * One output's bytes, taken from the engine in pieces (Lake.writeOutput: Parquet row group by row
 * group, never in a buffer that doubles), then joined here (the JS heap holds it twice meanwhile).
 */
function outputBytes(path) {
  const pieces = [];
  const n = lake.writeOutput(path, (piece) => { pieces.push(piece); });
  const bytes = new Uint8Array(n);
  let at = 0;
  for (const p of pieces) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/**
 * The table a landing writer worker (engine/landing-writer.js) writes on the other core while
 * this worker applies the rules: the typed accelerometer landing table, every landing reading,
 * the largest output (real data x100: 1.37 of the 1.86 s of Parquet in wasm). The step_trainer
 * one (0.40 s) is written here after the rules.
 *
 * Its chunks (65,536 rows: ~1 MB each for the real data, whose x, y and z go as one-byte codes;
 * up to ~2.4 MB for continuous floats) go once reading is done, except that no more than
 * HELD_CHUNKS full ones wait: beyond that they go as they fill; and the last row groups may stay
 * here, encoded once this worker's own tables are written (engine/landing-share.js). Measured
 * on 2 cores (real data, docs/performance.md): sending every chunk as soon as it was full made
 * the x100 run ~0.3 s slower (reading and parsing already use both cores), while sending all
 * after reading put every chunk in flight at once (x400: 1.2 GB of them; the Chromium tree's
 * peak PSS was 4.21 GB that way and 4.07 GB with this bound).
 */
const OFFLOADED = 'accelerometer_landing';
const HELD_CHUNKS = 128; // ~125 MB of real data (~300 MB at most): all of real x100's 125

/**
 * Start a landing writer worker for OFFLOADED; what goes to it when is `landingSender`'s
 * (engine/landing-share.js): `send`, `sendRest`, `sendTail`. `done` resolves to the Parquet file
 * and the writer's wasm memory, or rejects with the writer's error (`failed` is then true).
 */
function startLandingWriter(/** @type {number} */ held) {
  const w = writers.take();
  /** @type {Promise<{bytes: Uint8Array, memoryBytes: number}>} */
  const done = new Promise((resolve, reject) => {
    w.onmessage = ({ data }) => {
      if (data.type === LANDING.DONE) resolve(data);
      else reject(new Error(`writing ${OFFLOADED}: ${data.message}`));
    };
    w.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`the landing writer stopped (${e.message || 'no details'})`));
    };
    w.onmessageerror = () => reject(new Error(`writing ${OFFLOADED}: the file could not be received`));
  });
  w.postMessage({ type: LANDING.START, table: OFFLOADED });
  const sender = landingSender((message, transfer = []) => w.postMessage(message, transfer), OFFLOADED, held, Lake.rowGroupChunks());
  done.catch(() => sender.fail()); // awaited after the rules; a failure meanwhile is not unhandled
  return Object.assign(sender, { done, stop: () => w.terminate() });
}

/** Read the files, run the rules, build the Parquet outputs; progress and file reports on the way. */
async function run({ id, mode, location, files, decoders, heldChunks, split }) {
  runs++;
  lake = new Lake();
  parquetCache = new Map();
  const sizeOf = (f) => (f.file ? f.file.size : manifest?.landing[f.remote]?.size ?? 0);
  const total = files.reduce((n, f) => n + sizeOf(f), 0);
  let parsed = 0; // bytes parsed
  let read = 0; // bytes read from the files (as the reader's windows arrive: ahead of parsing)
  const t0 = performance.now();
  // Progress and the files' reports at most ten times a second (ingest.js throttle), and once
  // more when reading ends; the reports also when the run fails.
  const due = throttle();
  /** @type {import('./protocol.js').FileReport[]} reports not posted yet */
  let reports = [];
  const postReports = () => {
    if (reports.length) post({ type: EVENT.FILE, id, reports });
    reports = [];
  };
  const progress = () => {
    postReports();
    post({ type: EVENT.PROGRESS, id, phase: PHASE.READ, done: read, total });
    post({ type: EVENT.PROGRESS, id, phase: PHASE.PARSE, done: parsed, total, mbps: parsed / 1e3 / Math.max(performance.now() - t0, 1e-3) });
  };
  const writer = startLandingWriter(heldChunks ?? HELD_CHUNKS); // started before the run: its wasm is usually ready
  running = true;
  try {
    const marks = await ingest(lake, files, total, decoders, {
      onRead: (n) => {
        read += n;
      },
      onParsed: (n) => {
        parsed += n;
        writer.send(lake);
        if (due()) progress();
      },
      onFile: (report) => {
        reports.push(report);
        if (due()) progress();
      },
      fetchRemote: (index, onChunk) => fetchLandingObject(manifest, index, onChunk),
    });
    progress();
    if (writer.failed) await writer.done; // throws the writer's error: no rules for a run that failed
    const tRead = performance.now();
    writer.sendRest(lake, mode, split ?? true);
    const tSent = performance.now();
    post({ type: EVENT.PROGRESS, id, phase: PHASE.JOIN, done: 0, total: 1 });
    const summary = lake.run(mode, location || undefined);
    const tJoin = performance.now();
    post({ type: EVENT.PROGRESS, id, phase: PHASE.JOIN, done: 1, total: 1 });
    const parquet = Lake.outputPaths().filter((p) => p.endsWith('.parquet'));
    const offloaded = parquet.find((p) => p.includes(`/${OFFLOADED}/`));
    let k = 0;
    for (const path of parquet) {
      if (path === offloaded) continue;
      parquetCache.set(path, outputBytes(path));
      post({ type: EVENT.PROGRESS, id, phase: PHASE.WRITE, done: ++k, total: parquet.length });
    }
    const tOwn = performance.now();
    const tailChunks = writer.sendTail(lake);
    const tTail = performance.now();
    const landing = await writer.done;
    parquetCache.set(offloaded, landing.bytes);
    parquetCache = new Map(parquet.map((p) => [p, parquetCache.get(p)])); // in output order
    post({ type: EVENT.PROGRESS, id, phase: PHASE.WRITE, done: ++k, total: parquet.length });
    const landingChunks = { tail: tailChunks, early: writer.sentWhileReading };
    return finish({ summary, marks, total, t0, tRead, tSent, tJoin, tOwn, tTail, landingChunks, writerMemory: landing.memoryBytes });
  } finally {
    postReports(); // a run that failed: the files read before it
    writer.stop();
    running = false;
  }
}

/** The RunResult of a run whose Parquet outputs are all in parquetCache. */
function finish({ summary, marks, total, t0, tRead, tSent, tJoin, tOwn, tTail, landingChunks, writerMemory }) {
  const tWrite = performance.now();
  const sizes = Object.fromEntries([...parquetCache].map(([p, b]) => [p, b.length]));
  const s = (ms) => ms / 1000;
  /** @type {import('./protocol.js').RunResult} */
  const result = {
    summary,
    quality: lake.quality(),
    emails: lake.curatedEmails(),
    sizes,
    timings: {
      read_s: s(tRead - t0), join_s: s(tJoin - tRead), write_s: s(tWrite - tJoin), bytes: total, decoders: marks.decoders,
      own_write_s: s(tOwn - tJoin), send_s: s(tSent - tRead), // the last landing chunks to the writer; Parquet written here
      // The offloaded table's chunks: encoded here (its last row groups), sent to the writer while reading.
      tail_s: s(tTail - tOwn), tail_chunks: landingChunks.tail, sent_while_reading: landingChunks.early,
      own_s: s((marks.own || performance.now()) - t0), wait_s: s(marks.wait), merge_s: s(marks.merge), helpers_s: marks.helpers ? s(marks.helpers - t0) : 0,
      starved_s: s(marks.starved), // this worker waiting for its reader worker's next window
    },
    // Summed over the workers alive at the end (a decode worker's is gone by then).
    memoryBytes: Lake.memoryBytes() + writerMemory,
  };
  return result;
}

/** Every output in its Hive-layout path, zipped one file at a time into Blob parts. */
async function zip() {
  const parts = [];
  let fail = null;
  const z = new Zip((err, chunk) => { if (err) fail = err; else parts.push(chunk); });
  for (const path of Lake.outputPaths()) {
    const bytes = outputOf(path);
    // Parquet is already compressed: store it; deflate the text outputs.
    const entry = path.endsWith('.parquet') ? new ZipPassThrough(path) : new ZipDeflate(path, { level: 6 });
    z.add(entry);
    entry.push(bytes, true);
  }
  z.end();
  if (fail) throw fail;
  return { blob: new Blob(parts, { type: 'application/zip' }) };
}

/** The AWS Glue job bundle (the core's files, as `stedi-lake glue` writes them) in one zip. */
function glue({ mode, location }) {
  const parts = [];
  let fail = null;
  const z = new Zip((err, chunk) => { if (err) fail = err; else parts.push(chunk); });
  for (const { path, text } of Lake.glueBundle(mode, location || undefined)) {
    const entry = new ZipDeflate(path, { level: 6 });
    z.add(entry);
    entry.push(new TextEncoder().encode(text), true);
  }
  z.end();
  if (fail) throw fail;
  return { blob: new Blob(parts, { type: 'application/zip' }) };
}

/** One handler per request type: its payload in, its reply out. */
const handlers = {
  // Which paths are landing data: the core's one rule (`ingest::select`, as the CLI and presign).
  [REQUEST.SELECT]: ({ paths }) => ({ results: Lake.selectFiles(paths) }),
  // An early guess from the name and first 64 KiB, for display only: a run routes every file itself.
  // Eight files read at once (a Blob read waits ~2 ms before its first byte); a run started
  // meanwhile stops it, and the files not sniffed yet stay "checking…" until the run reports them.
  [REQUEST.SNIFF]: async ({ files }) => {
    const started = runs;
    const results = [];
    let next = 0;
    const sniffNext = async () => {
      while (next < files.length && runs === started) {
        const { key, name, file } = files[next++];
        let head;
        try {
          head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
        } catch (err) {
          // One file that cannot be read (changed or gone since it was chosen) says so; the others' guesses still come.
          if (runs === started) results.push({ key, source: null, by: 'unreadable', reason: String(err?.message ?? err) });
          continue;
        }
        if (runs === started) results.push({ key, ...Lake.sniff(name, head) });
      }
    };
    await Promise.all(Array.from({ length: 8 }, sniffNext));
    return { results };
  },
  [REQUEST.MANIFEST]: async (payload) => {
    const loaded = await loadManifest(payload);
    manifest = loaded.manifest;
    return { info: loaded.info };
  },
  [REQUEST.RUN]: run,
  [REQUEST.UPLOAD]: ({ id }) => upload(manifest, outputOf, (p) => post({ type: EVENT.PROGRESS, id, phase: PHASE.UPLOAD, ...p })),
  [REQUEST.ROWS]: ({ table, offset, limit }) => ({ rows: lake.rows(table, offset, limit) }),
  [REQUEST.SERIES]: ({ email }) => ({ series: lake.customerSeries(email) }),
  [REQUEST.OUTPUT]: ({ path }) => ({ path, contentType: Lake.contentType(path), bytes: outputOf(path).slice() }),
  [REQUEST.ZIP]: zip,
  [REQUEST.GLUE]: glue,
};

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  let fatal = false;
  try {
    await ready;
    if (!WITHOUT_RUN.includes(type) && !lake) throw new Error('no results yet: run the pipeline first');
    const reply = await handlers[type](data);
    post({ type: type === REQUEST.RUN ? EVENT.RESULT : EVENT.REPLY, id, ...reply }, reply.bytes ? [reply.bytes.buffer] : []);
  } catch (err) {
    const described = describe(err);
    fatal = described.fatal;
    post({ type: EVENT.ERROR, id, ...described });
  } finally {
    // For the next run, once this one's results are drawn (none after a fatal error: the page
    // ends this worker and starts another).
    if (type === REQUEST.RUN && !fatal) setTimeout(prestart, PRESTART_AFTER_RUN_MS);
  }
};
