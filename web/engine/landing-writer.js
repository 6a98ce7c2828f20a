// @ts-check
// A landing writer worker, one per run of the engine worker (engine/worker.js; started before the
// run, engine/spare.js): it writes the typed accelerometer landing table (the largest output:
// every landing reading) as Parquet from the Lake's landing chunks while the engine worker applies
// the rules, so a second core encodes it (wasm has no threads). The file is byte for byte the one
// Lake.output gives (crate/src/sink/landing_chunks.rs, tested there and against the CLI by the
// page tests).
//
// The engine worker may encode the table's last row groups itself once its own work is done, and
// send them with LANDING.FINISH: the file ends with them, copied as they are.
//
//   engine worker ──LANDING.START {table}, then (LANDING.STRINGS {bytes}, LANDING.CHUNK {bytes} …) …, LANDING.FINISH {tail?}──▶ here
//                 ◀──LANDING.DONE {bytes (transferred), memoryBytes} | LANDING.ERROR {message}──
import init, { Lake, LandingWriter } from '../../pkg/stedi_lake.js';
import { LANDING } from './protocol.js';

const ready = init();
/** @type {LandingWriter | null} */
let writer = null;
/** @type {Uint8Array[]} the file's pieces so far */
let pieces = [];
let size = 0;
let failed = false;
const keep = (/** @type {Uint8Array} */ piece) => { pieces.push(piece); };

self.onmessage = async (/** @type {{data: import('./protocol.js').LandingMessage}} */ { data }) => {
  try {
    await ready;
    if (failed) return; // the error was reported; later messages are dropped
    if (data.type === LANDING.START) {
      writer = new LandingWriter(data.table);
    } else if (data.type === LANDING.STRINGS) {
      /** @type {LandingWriter} */ (writer).addStrings(data.bytes);
    } else if (data.type === LANDING.CHUNK) {
      size += /** @type {LandingWriter} */ (writer).push(data.bytes, keep);
    } else if (data.type === LANDING.FINISH) {
      const w = /** @type {LandingWriter} */ (writer);
      size += w.finish(keep, data.tail);
      w.free();
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const p of pieces) {
        bytes.set(p, at);
        at += p.length;
      }
      pieces = [];
      self.postMessage({ type: LANDING.DONE, bytes, memoryBytes: Lake.memoryBytes() }, [bytes.buffer]);
    }
  } catch (err) {
    failed = true;
    self.postMessage({ type: LANDING.ERROR, message: String(err?.message ?? err) });
  }
};
