// @ts-check
// A reader worker: reads local landing files for one decoding worker (the engine worker or a
// decode worker, engine/ingest.js `readFiles`) and posts their bytes in order, a bounded window
// at a time, as transferred ArrayBuffers. It exists because a Blob read only advances while the
// thread that asked for it is idle: read in the decoding worker itself, reading and parsing took
// turns (measured in Chromium on the real data x100: 1.6 s of a 4.5 s read+parse spent waiting
// for bytes; with this worker reading, 0.2 s. docs/performance.md).
//
//   decoding worker ──ReadShare {files, ahead}──▶ here ──READER.WINDOW {index, offset, bytes, last} …──▶
//                   ──{ack: bytes} (after feeding a window)──▶ here (credit: at most `ahead` bytes unacknowledged)
//                   ◀──READER.ERROR {index, message} (file `index` could not be read, or -1: the reader
//                      itself failed; nothing follows)
import { READER } from './protocol.js';

/** Bytes per window: large enough for speed, small enough for progress. */
const WINDOW = 4 << 20;
/** Reads in flight at once: a Blob read waits ~2 ms for its first byte, so small files need several. */
const IN_FLIGHT = 16;

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

/** The windows of `files` in order, `[file index, offset, length]`; an empty file has one, empty. */
function* windows(/** @type {File[]} */ files) {
  for (let index = 0; index < files.length; index++) {
    let offset = 0;
    do {
      const length = Math.min(WINDOW, files[index].size - offset);
      yield [index, offset, length];
      offset += length;
    } while (offset < files[index].size);
  }
}

/** Read every window (up to IN_FLIGHT at once and within the credit), post them in order. */
async function read(/** @type {File[]} */ files) {
  const queue = [];
  let pending = 0; // bytes read or being read, not yet acknowledged
  const todo = windows(files);
  let next = todo.next();
  const fill = () => {
    while (!next.done && queue.length < IN_FLIGHT && pending + next.value[2] <= Math.max(credit, next.value[2])) {
      const [index, offset, length] = next.value;
      const bytes = files[index].slice(offset, offset + length).arrayBuffer();
      bytes.catch(() => {}); // reported in order below, not as an unhandled rejection
      queue.push({ index, offset, length, bytes });
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
      self.postMessage({ type: READER.ERROR, index: w.index, message: String(err?.message ?? err) });
      return;
    }
    queue.shift();
    // A window larger than all the credit goes once nothing else is unacknowledged.
    while (credit < Math.min(w.length, ahead)) await new Promise((ok) => { wake = () => ok(undefined); });
    credit -= w.length;
    pending -= w.length;
    const last = w.offset + w.length >= files[w.index].size;
    self.postMessage({ type: READER.WINDOW, index: w.index, offset: w.offset, bytes, last }, [bytes]);
    fill();
  }
}
