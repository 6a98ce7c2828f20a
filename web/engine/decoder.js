// @ts-check
// A decode worker, started by the engine worker (engine/ingest.js) for large local inputs: it
// reads its share of the landing files (a contiguous run, in file order) into its own wasm Lake
// with the same read-window loop, reporting bytes as it goes, then hands the decoded landing set
// back as bytes (Lake.exportIngest). The engine worker appends the shares in file order
// (Lake.appendExported), which gives exactly the tables one worker would have produced.
//
//   engine worker ──DecodeShare {files}──▶ here ──DECODE.READ / PARSED / FILE …, DECODE.DONE {bytes}──▶
import init, { Lake } from '../../pkg/stedi_lake.js';
import { readFiles, throttle } from './ingest.js';
import { DECODE } from './protocol.js';

self.onmessage = async (/** @type {{data: import('./protocol.js').DecodeShare}} */ { data: { files } }) => {
  try {
    await init();
    const lake = new Lake();
    // Bytes read and parsed since the last message, sent at most ten times a second and at the end.
    let read = 0;
    let parsed = 0;
    const due = throttle();
    const flush = () => {
      if (read) self.postMessage({ type: DECODE.READ, bytes: read });
      if (parsed) self.postMessage({ type: DECODE.PARSED, bytes: parsed });
      read = parsed = 0;
    };
    await readFiles(lake, files, {
      onRead: (bytes) => { read += bytes; },
      onParsed: (bytes) => {
        parsed += bytes;
        if (due()) flush();
      },
      onFile: (report) => self.postMessage({ type: DECODE.FILE, report }),
    });
    flush();
    const bytes = lake.exportIngest();
    lake.free();
    self.postMessage({ type: DECODE.DONE, bytes }, [bytes.buffer]);
  } catch (err) {
    self.postMessage({ type: DECODE.ERROR, message: String(err?.message ?? err) });
  }
};
