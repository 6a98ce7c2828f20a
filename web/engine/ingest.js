// @ts-check
// Reading landing files into a wasm Lake, for the engine worker (engine/worker.js) and the decode
// workers (engine/decoder.js). One read-window loop (`readFiles`) serves both: each file is opened
// (with a source only when the user moved it; otherwise the engine routes it), fed a bounded
// window at a time and closed, its report passed on.
//
//   worker.js ── ingest(lake, files) ──▶ own share: readFiles(lake, …)
//                                    └─▶ later shares: decoder.js (readFiles in its own Lake)
//                                        ──DECODE.DONE bytes──▶ lake.appendExported, in file order
//
// Large local sets are split into contiguous shares by bytes; the shares join in file order, so
// the tables are the ones one worker reading everything would make (crate/tests/golden.rs).
import { DECODE } from './protocol.js';

/** Bytes read per step: large enough for speed, small enough for progress. */
export const CHUNK = 4 << 20;

/**
 * @typedef {object} IngestHooks
 * @property {(bytes: number) => void} onRead
 * @property {(bytes: number) => void} onParsed
 * @property {(report: import('./protocol.js').FileReport) => void} onFile
 * @property {(index: number, onChunk: (chunk: Uint8Array) => void) => Promise<void>} [fetchRemote]
 */

/**
 * Read `files` (RunFile: a local `file`, or an S3 object by `remote` index) into `lake`, in order.
 * Hooks: `onRead(bytes)` as bytes arrive, `onParsed(bytes)` once the engine has them,
 * `onFile(report)` when a file is done; `fetchRemote(index, onChunk)` streams an S3 object
 * (only the engine worker holds the manifest).
 * @param {import('../../pkg/stedi_lake.js').Lake} lake
 * @param {import('./protocol.js').RunFile[]} files
 * @param {IngestHooks} hooks
 */
export async function readFiles(lake, files, { onRead, onParsed, onFile, fetchRemote }) {
  for (const { name, file, source, remote } of files) {
    lake.openFile(name, source ?? undefined);
    if (file) {
      // Blob.slice + arrayBuffer: a bounded window of the file at a time, never the whole file.
      // The next window is read while the engine parses this one (two chunks in memory at most).
      const read = (off) => (off < file.size ? file.slice(off, off + CHUNK).arrayBuffer() : null);
      let next = read(0);
      for (let off = 0; next; off += CHUNK) {
        const chunk = new Uint8Array(await next);
        next = read(off + CHUNK);
        onRead(chunk.length);
        lake.feed(chunk);
        onParsed(chunk.length);
      }
    } else {
      // S3: the response body, piece by piece as it arrives (read and parse advance together).
      await fetchRemote(remote, (chunk) => {
        onRead(chunk.length);
        lake.feed(chunk);
        onParsed(chunk.length);
      });
    }
    onFile(lake.closeFile());
  }
}

/** How many workers decode: `requested` if given, else one per core (at most 4) for large local sets. */
const PARALLEL_MIN_BYTES = 48 << 20;
function decoderCount(requested, files, total) {
  if (files.some((f) => !f.file)) return 1; // S3 objects are read in the engine worker, where the manifest is
  if (requested) return Math.max(1, Math.min(8, requested, files.length));
  if (total < PARALLEL_MIN_BYTES) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1, files.length));
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
  });
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
  const marks = { decoders: n, own: 0, helpers: 0, wait: 0, merge: 0 };
  const helpers = theirs.map((share) => startDecoder(share, hooks));
  try {
    await readFiles(lake, mine, hooks);
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
