// @ts-check
// A reader worker: reads local landing files for one decoding worker (the engine worker or a
// decode worker, engine/ingest.js `readFiles`) and posts their bytes in order, a bounded window
// at a time, as transferred ArrayBuffers. It exists because a Blob read only advances while the
// thread that asked for it is idle: read in the decoding worker itself, reading and parsing took
// turns (measured in Chromium on the real data x100: 1.6 s of a 4.5 s read+parse spent waiting
// for bytes; with this worker reading, 0.2 s. docs/performance.md).
//
// The files are read as slices of one Blob of all of them, in 16 MB windows, four in flight: each read
// costs the browser ~1-1.5 ms of CPU of its own (and waits ~2 ms for its first byte), so reading
// the real data x100 (1,300 files) a file at a time cost the Chromium process tree 3.3 s of CPU
// for 1 GB, and these windows 2.3 s (docs/performance.md, session 9). A window is cut into
// segments at file boundaries; an empty file is a segment of no bytes (engine/segments.js).
//
// The start is what the decoding worker waits for. The first windows are 1, 2, 4 and 8 MB, and
// those that end within the first HEAD bytes (the first 63 MB) are read from a Blob of only the
// files they cover (`headFiles`): the Blob of all files takes ~80 ms to build for 1,300 files,
// and is built for the first window past them, by when the decoding worker usually has windows
// posted and not yet parsed (up to 48 MB). With this worker started before the run
// (engine/spare.js), the decoding worker's first bytes came after 22-55 ms instead of 190-300
// (real x100, docs/performance.md, session 13).
//
//   decoding worker ──ReadShare {files, ahead}──▶ here ──READER.WINDOW {bytes, segments} …──▶
//                   ──{ack: bytes} (after feeding a segment)──▶ here (credit: at most `ahead` bytes unacknowledged)
//                   ◀──READER.ERROR {index, message} (file `index` could not be read, or -1: the reader
//                      itself failed, or no file of the failed window fails alone; nothing follows)
import { READER } from './protocol.js';
import { covered, headFiles, segmenter, windows } from './segments.js';

/** Bytes per window: large enough that the browser's cost per read is small, small enough for progress. */
const WINDOW = 16 << 20;
/** The first window's bytes; the next ones double up to WINDOW. */
const FIRST_WINDOW = 1 << 20;
/** The bytes read from a Blob of only the files they cover, before the Blob of all files is built. */
const HEAD = 4 * WINDOW;
/** Reads in flight at once (within the credit). */
const IN_FLIGHT = 4;

let credit = 0; // bytes the decoding worker will still accept
let ahead = 0; // all of the credit
let wake = () => {}; // resolves the wait for credit

self.onmessage = (/** @type {{data: import('./protocol.js').ReadShare | {ack: number}}} */ { data }) => {
  if ('ack' in data) {
    credit += data.ack;
    wake();
  } else {
    credit = ahead = data.ahead;
    read(data.files).catch((err) => self.postMessage({ type: READER.ERROR, index: -1, message: String(err?.message ?? err) }));
  }
};

/** Read every window (up to IN_FLIGHT at once and within the credit), post them in order. */
async function read(/** @type {File[]} */ files) {
  const sizes = files.map((f) => f.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  // The files the first windows cover (their first HEAD bytes), as a Blob of their own.
  const k = headFiles(sizes, HEAD);
  const head = new Blob(files.slice(0, k));
  /** @type {Blob | null} */
  let all = k === files.length ? head : null;
  const slice = (/** @type {number} */ start, /** @type {number} */ end) =>
    end <= head.size ? head.slice(start, end) : (all ??= new Blob(files)).slice(start, end);
  const cut = segmenter(sizes);
  const queue = [];
  let pending = 0; // bytes read or being read, not yet acknowledged
  const todo = windows(total, WINDOW, FIRST_WINDOW);
  let next = todo.next();
  const fill = () => {
    while (!next.done && queue.length < IN_FLIGHT && pending + next.value[1] <= Math.max(credit, next.value[1])) {
      const [start, length] = next.value;
      const bytes = slice(start, start + length).arrayBuffer();
      bytes.catch(() => {}); // reported in order below, not as an unhandled rejection
      queue.push({ start, length, bytes });
      pending += length;
      next = todo.next();
    }
  };
  fill();
  while (queue.length) {
    const w = queue[0];
    let bytes;
    try {
      bytes = await w.bytes;
    } catch (err) {
      const index = await unreadable(files, covered(sizes, w.start, w.length));
      self.postMessage({ type: READER.ERROR, index, message: String(err?.message ?? err) });
      return;
    }
    queue.shift();
    // A window larger than all the credit goes once nothing else is unacknowledged.
    while (credit < Math.min(w.length, ahead)) await new Promise((ok) => { wake = () => ok(undefined); });
    credit -= w.length;
    pending -= w.length;
    self.postMessage({ type: READER.WINDOW, bytes, segments: cut(w.length) }, [bytes]);
    fill();
  }
}

/**
 * Which of the files a failed window covers (`indexes`) cannot be read alone (e.g. changed on disk
 * after it was chosen): the first, probed all at once; -1 when each reads (the decoding worker then
 * names the file it was waiting for).
 * @param {File[]} files
 * @param {number[]} indexes
 */
async function unreadable(files, indexes) {
  const probes = await Promise.allSettled(indexes.map((i) => files[i].slice(0, 1).arrayBuffer()));
  const failed = probes.findIndex((p) => p.status === 'rejected');
  return failed < 0 ? -1 : indexes[failed];
}
