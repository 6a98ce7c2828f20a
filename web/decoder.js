// A decode worker, started by the engine worker (worker.js) for large local inputs: it reads its
// share of the landing files (a contiguous run, in file order) into its own wasm Lake, reporting
// bytes as it goes, then hands the decoded landing set back as bytes (Lake.exportIngest). The
// engine worker appends the shares in file order (Lake.appendExported), which gives exactly the
// tables one worker would have produced (crate/tests/golden.rs), and runs the rules.
import init, { Lake } from '../pkg/stedi_lake.js';

const CHUNK = 4 << 20;
const read = (file, off) => (off < file.size ? file.slice(off, off + CHUNK).arrayBuffer() : null);

self.onmessage = async ({ data: { files } }) => {
  try {
    await init();
    const lake = new Lake();
    for (const { name, file, source } of files) {
      lake.openFile(name, source ?? undefined);
      let next = read(file, 0);
      for (let off = 0; next; off += CHUNK) {
        const chunk = new Uint8Array(await next);
        next = read(file, off + CHUNK); // the next window is read while this one is parsed
        self.postMessage({ type: 'read', bytes: chunk.length });
        lake.feed(chunk);
        self.postMessage({ type: 'parsed', bytes: chunk.length });
      }
      self.postMessage({ type: 'file', report: lake.closeFile() });
    }
    const bytes = lake.exportIngest();
    lake.free();
    self.postMessage({ type: 'done', bytes }, [bytes.buffer]);
  } catch (err) {
    self.postMessage({ type: 'error', message: String(err?.message ?? err) });
  }
};
