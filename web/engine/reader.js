// @ts-check
// A reader worker: reads local landing files for one decoding worker (the engine worker or a
// decode worker, engine/ingest.js `readFiles`) and posts their bytes in order, a bounded window
// at a time, as transferred ArrayBuffers. It exists because a Blob read only advances while the
// thread that asked for it is idle: read in the decoding worker itself, reading and parsing took
// turns (measured in Chromium on the real data x100: 1.6 s of a 4.5 s read+parse spent waiting
// for bytes; with this worker reading, 0.2 s. docs/performance.md).
//
// The files are read as one Blob of all of them, in 16 MB windows, four in flight: each read
// costs the browser ~1-1.5 ms of CPU of its own (and waits ~2 ms for its first byte), so reading
// the real data x100 (1,300 files) a file at a time cost the Chromium process tree 3.3 s of CPU
// for 1 GB, and these windows 2.3 s (docs/performance.md, session 9). A window is cut into
// segments at file boundaries; an empty file is a segment of no bytes.
//
//   decoding worker ──ReadShare {files, ahead}──▶ here ──READER.WINDOW {bytes, segments} …──▶
//                   ──{ack: bytes} (after feeding a segment)──▶ here (credit: at most `ahead` bytes unacknowledged)
//                   ◀──READER.ERROR {index, message} (file `index` could not be read, or -1: the reader
//                      itself failed; nothing follows)
import { READER } from './protocol.js';

/** Bytes per window: large enough that the browser's cost per read is small, small enough for progress. */
const WINDOW = 16 << 20;
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

/** The windows `[start, length]` of `total` bytes; no bytes at all: one empty window. */
function* windows(/** @type {number} */ total) {
  let start = 0;
  do {
    const length = Math.min(WINDOW, total - start);
    yield [start, length];
    start += length;
  } while (start < total);
}

/**
 * Cuts windows (in order) into segments of files: `[index, start in the window, length, last]`.
 * A file ends in the window that holds its last byte; an empty file, in the window where it starts.
 * @param {File[]} files
 */
function segmenter(files) {
  let index = 0; // the file being cut
  let done = 0; // its bytes already in a segment
  return (/** @type {number} */ length) => {
    const out = [];
    let at = 0;
    while (index < files.length && (at < length || files[index].size === done)) {
      const n = Math.min(files[index].size - done, length - at);
      done += n;
      const last = done === files[index].size;
      out.push([index, at, n, last]);
      at += n;
      if (last) {
        index++;
        done = 0;
      }
    }
    return out;
  };
}

/** Read every window (up to IN_FLIGHT at once and within the credit), post them in order. */
async function read(/** @type {File[]} */ files) {
  const all = new Blob(files);
  const cut = segmenter(files);
  const queue = [];
  let pending = 0; // bytes read or being read, not yet acknowledged
  const todo = windows(all.size);
  let next = todo.next();
  const fill = () => {
    while (!next.done && queue.length < IN_FLIGHT && pending + next.value[1] <= Math.max(credit, next.value[1])) {
      const [start, length] = next.value;
      const bytes = all.slice(start, start + length).arrayBuffer();
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
      const index = await unreadable(files, all, w.start, w.length);
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
 * Which file a failed window's read failed on: the first of the files it covers that cannot be
 * read alone (e.g. changed on disk after it was chosen), else the first it covers.
 * @param {File[]} files
 * @param {Blob} all
 * @param {number} start
 * @param {number} length
 */
async function unreadable(files, all, start, length) {
  let first = -1;
  for (let i = 0, at = 0; i < files.length && at <= start + length; at += files[i].size, i++) {
    if (at + files[i].size < start || (at + files[i].size === start && files[i].size > 0)) continue;
    if (first < 0) first = i;
    try {
      await files[i].slice(0, 1).arrayBuffer();
    } catch {
      return i;
    }
  }
  return first;
}
