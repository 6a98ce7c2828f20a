// @ts-check
// Reading landing files into a wasm Lake, for the engine worker (engine/worker.js) and the decode
// workers (engine/decoder.js). One read-window loop (`readFiles`) serves both: each file is opened
// (with a source only when the user moved it; otherwise the engine routes it), fed a bounded
// window at a time and closed, its report passed on. The bytes of local files come from a reader
// worker (engine/reader.js), so reading and parsing run at once.
//
//   worker.js ── ingest(lake, files) ──▶ own share: readFiles(lake, …) ◀── reader.js (windows, in order)
//                                    └─▶ later shares: decoder.js (readFiles in its own Lake)
//                                        ──DECODE.DONE bytes──▶ lake.appendExported, in file order
//
// Large local sets are split into contiguous shares by bytes; the shares join in file order, so
// the tables are the ones one worker reading everything would make (crate/tests/golden.rs).
import { DECODE, READER } from './protocol.js';
import { spare } from './spare.js';

/** Bytes of windows a reader worker may read ahead of the engine (engine/reader.js: four 16 MB windows). */
const READ_AHEAD = 64 << 20;

/**
 * A rate limit for progress messages: `due()` is true at most once per `ms`. Measured in Chromium
 * on the real data x100: one progress message per 4 MB window (and per file) cost 1.4 s of a
 * 6.7 s read, the page repainting its bars for each; ten a second cost nothing measurable.
 */
export function throttle(ms = 100) {
  let last = -Infinity;
  return () => {
    const now = performance.now();
    if (now - last < ms) return false;
    last = now;
    return true;
  };
}

/**
 * @typedef {object} IngestHooks
 * @property {(bytes: number) => void} onRead
 * @property {(bytes: number) => void} onParsed
 * @property {(report: import('./protocol.js').FileReport) => void} onFile
 * @property {(index: number, onChunk: (chunk: Uint8Array) => void) => Promise<void>} [fetchRemote]
 */

const readers = spare(new URL('./reader.js', import.meta.url));

/** Start the next run's reader worker now (engine/spare.js): the engine worker calls it when idle. */
export const prestartReader = () => readers.start();

/**
 * A reader worker (engine/reader.js) for `files`: `next()` resolves to their segments in order (a
 * file's bytes in one window: `{type: READER.WINDOW, index, bytes, last}`, `bytes` a view of the
 * window) or to a `READER.ERROR`; `ack(bytes)` once a segment is fed, `stop()` ends it;
 * `onRead(bytes)` as each window arrives.
 * @param {File[]} files
 * @param {(bytes: number) => void} onRead
 */
function startReader(files, onRead) {
  const w = readers.take();
  /** @type {any[]} */
  const inbox = [];
  let wake = () => {};
  /** @type {Error | null} */
  let failed = null;
  w.onmessage = ({ data }) => {
    if (data.type === READER.WINDOW) {
      onRead(data.bytes.byteLength);
      for (const [index, start, length, last] of data.segments) {
        inbox.push({ type: READER.WINDOW, index, bytes: new Uint8Array(data.bytes, start, length), last });
      }
    } else inbox.push(data);
    wake();
  };
  const stopped = (/** @type {string} */ why) => {
    failed = new Error(`the file reader stopped (${why})`);
    wake();
  };
  w.onerror = (e) => {
    e.preventDefault();
    stopped(e.message || 'no details');
  };
  w.onmessageerror = () => stopped('a window could not be received');
  /** @type {import('./protocol.js').ReadShare} */
  const share = { files, ahead: READ_AHEAD };
  w.postMessage(share);
  return {
    /** @returns {Promise<{type: string, index: number, bytes: Uint8Array, last: boolean, message?: string}>} */
    async next() {
      while (!inbox.length) {
        if (failed) throw failed;
        await new Promise((ok) => { wake = () => ok(undefined); });
      }
      return inbox.shift();
    },
    ack: (/** @type {number} */ bytes) => w.postMessage({ ack: bytes }),
    stop: () => w.terminate(),
  };
}

/**
 * Read `files` (RunFile: a local `file`, or an S3 object by `remote` index) into `lake`, in order.
 * Hooks: `onRead(bytes)` as bytes arrive, `onParsed(bytes)` once the engine has them,
 * `onFile(report)` when a file is done; `fetchRemote(index, onChunk)` streams an S3 object
 * (only the engine worker holds the manifest).
 *
 * Local files are read by a reader worker (engine/reader.js) a bounded window at a time, never a
 * whole large file, and parsed here as their segments arrive, in order; S3 objects are streamed at
 * their turn, piece by piece as they arrive. Errors name the file.
 * @param {import('../../pkg/stedi_lake.js').Lake} lake
 * @param {import('./protocol.js').RunFile[]} files
 * @param {IngestHooks} hooks
 */
export async function readFiles(lake, files, { onRead, onParsed, onFile, fetchRemote }) {
  const local = files.filter((f) => f.file);
  const reader = local.length ? startReader(local.map((f) => /** @type {File} */ (f.file)), onRead) : null;
  let starved = 0; // ms spent waiting for the reader's next window
  try {
    let k = 0; // the next local file, as the reader numbers them
    for (const { name, file, source, remote } of files) {
      lake.openFile(name, source ?? undefined);
      if (file && reader) {
        for (;;) {
          const tw = performance.now();
          const w = await reader.next().catch((err) => { throw new Error(`${name}: ${err.message}`); });
          starved += performance.now() - tw;
          // The failed window may cover several files: the reader names the one that failed.
          if (w.type === READER.ERROR) throw new Error(`${local[w.index]?.name ?? name}: could not be read (${w.message})`);
          if (w.index !== k) throw new Error(`${name}: the file reader sent file ${w.index} out of order (expected ${k})`);
          const chunk = w.bytes;
          lake.feed(chunk);
          reader.ack(chunk.length);
          onParsed(chunk.length);
          if (w.last) break;
        }
        k++;
      } else {
        await fetchRemote(remote, (chunk) => {
          onRead(chunk.length);
          lake.feed(chunk);
          onParsed(chunk.length);
        });
      }
      onFile(lake.closeFile());
    }
  } finally {
    reader?.stop();
  }
  return { starved };
}

/**
 * How many workers decode: `requested` if given; else for large local sets one per two cores (at
 * most 4), as each decoding worker has a reader worker beside it and the browser's own file I/O
 * needs a core too. Measured on 2 cores (real data x100, docs/performance.md): one decoder with
 * its reader 3.9 s, two decoders with theirs 3.6 s plus 0.4 s merging and 230 MB more memory.
 */
const PARALLEL_MIN_BYTES = 48 << 20;
function decoderCount(requested, files, total) {
  if (files.some((f) => !f.file)) return 1; // S3 objects are read in the engine worker, where the manifest is
  if (requested) return Math.max(1, Math.min(8, requested, files.length));
  if (total < PARALLEL_MIN_BYTES) return 1;
  return Math.max(1, Math.min(4, Math.floor((navigator.hardwareConcurrency || 1) / 2), files.length));
}

/**
 * Split files (in order) into at most `n` contiguous shares by bytes. The first share, read by
 * the engine worker itself (which also relays progress and merges), is a little smaller: measured
 * on the 1 GB set, equal shares left it finishing ~0.9 s after its decode worker.
 */
const OWN_SHARE = 0.85; // of an equal share
function shares(files, n) {
  const total = files.reduce((a, f) => a + f.file.size, 0) || 1;
  const first = (OWN_SHARE / n) * total;
  const rest = (total - first) / (n - 1);
  const out = Array.from({ length: n }, () => []);
  let acc = 0;
  for (const f of files) {
    // By the file's middle byte: non-decreasing in file order, so each share is a contiguous run.
    const mid = acc + f.file.size / 2;
    out[mid < first ? 0 : Math.min(n - 1, 1 + Math.floor((mid - first) / rest))].push(f);
    acc += f.file.size;
  }
  return out.filter((s) => s.length);
}

/** Decode `files` in a decode worker; `done` resolves to the exported bytes and when they came. */
function startDecoder(files, { onRead, onParsed, onFile }) {
  const w = new Worker(new URL('./decoder.js', import.meta.url), { type: 'module' });
  const done = new Promise((resolve, reject) => {
    w.onmessage = ({ data }) => {
      if (data.type === DECODE.DONE) resolve({ bytes: data.bytes, at: performance.now() });
      else if (data.type === DECODE.ERROR) reject(new Error(data.message));
      else if (data.type === DECODE.READ) onRead(data.bytes);
      else if (data.type === DECODE.PARSED) onParsed(data.bytes);
      else if (data.type === DECODE.FILE) onFile(data.report);
    };
    w.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`a decode worker stopped (${e.message || 'no details'})`));
    };
    w.onmessageerror = () => reject(new Error('a decode worker\'s message could not be received'));
  });
  done.catch(() => {}); // awaited after the own share; a failure meanwhile is not unhandled
  /** @type {import('./protocol.js').DecodeShare} */
  const share = { files: files.map(({ name, file, source }) => ({ name, file, source })) };
  w.postMessage(share);
  return { done, stop: () => w.terminate() };
}

/**
 * Read every file into `lake`: the first share here, later shares (large local sets, or
 * `requested` decoders) in decode workers, appended in file order. `total`: the files' bytes.
 * Hooks as for `readFiles`. Returns the decoders used and performance.now() marks for the timings:
 * `own` (own share read), `helpers` (last decode worker done), `wait` and `merge` (ms spent).
 * @param {import('../../pkg/stedi_lake.js').Lake} lake
 * @param {import('./protocol.js').RunFile[]} files
 * @param {number} total
 * @param {number | undefined} requested
 * @param {IngestHooks} hooks
 */
export async function ingest(lake, files, total, requested, hooks) {
  const n = decoderCount(requested, files, total);
  const [mine = [], ...theirs] = n > 1 ? shares(files, n) : [files];
  const marks = { decoders: n, own: 0, helpers: 0, wait: 0, merge: 0, starved: 0 };
  const helpers = theirs.map((share) => startDecoder(share, hooks));
  try {
    marks.starved = (await readFiles(lake, mine, hooks)).starved;
    marks.own = performance.now();
    for (const h of helpers) {
      const { bytes, at } = await h.done;
      marks.helpers = Math.max(marks.helpers, at);
      const tm = performance.now();
      marks.wait += tm - marks.own;
      lake.appendExported(bytes);
      marks.merge += performance.now() - tm;
      h.stop();
    }
  } finally {
    for (const h of helpers) h.stop();
  }
  return marks;
}
