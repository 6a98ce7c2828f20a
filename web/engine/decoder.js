// @ts-check
// A decode worker, started by the engine worker (engine/ingest.js) for large local inputs: it
// reads its share of the landing files (a contiguous run, in file order) into its own wasm Lake
// with the same read-window loop, reporting bytes as it goes, then hands the decoded landing set
// back as bytes (Lake.exportIngest). The engine worker appends the shares in file order
// (Lake.appendExported), which gives exactly the tables one worker would have produced.
//
//   engine worker ──DecodeShare {files}──▶ here ──DECODE.READ / PARSED / FILE …, DECODE.DONE {bytes}──▶
import init, { Lake } from '../../pkg/stedi_lake.js';
import { readFiles } from './ingest.js';
import { DECODE } from './protocol.js';

self.onmessage = async (/** @type {{data: import('./protocol.js').DecodeShare}} */ { data: { files } }) => {
  try {
    await init();
    const lake = new Lake();
    await readFiles(lake, files, {
      onRead: (bytes) => self.postMessage({ type: DECODE.READ, bytes }),
      onParsed: (bytes) => self.postMessage({ type: DECODE.PARSED, bytes }),
      onFile: (report) => self.postMessage({ type: DECODE.FILE, report }),
    });
    const bytes = lake.exportIngest();
    lake.free();
    self.postMessage({ type: DECODE.DONE, bytes }, [bytes.buffer]);
  } catch (err) {
    self.postMessage({ type: DECODE.ERROR, message: String(err?.message ?? err) });
  }
};
