// The engine's Web Worker: owns the wasm Lake, so the page never blocks. Files arrive as File/Blob
// handles and are streamed into the engine chunk by chunk; every reply is a message.
//
// Page → worker: {type: 'sniff' | 'run' | 'rows' | 'series' | 'output' | 'zip', id, ...}
// Worker → page: {type: 'progress' | 'file' | 'result' | 'reply' | 'error', id, ...}
// Cancel = the page terminates this worker and starts a new one (the only way to stop wasm mid-call).
import init, { Lake } from '../pkg/stedi_lake.js';
import { Zip, ZipPassThrough, ZipDeflate } from './vendor/fflate.js';

const CHUNK = 4 << 20; // bytes read per step: large enough for speed, small enough for progress
const ready = init();
let lake = null;
let parquetCache = new Map();

const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);

/** A wasm trap (panic, out of memory) leaves the instance unusable: say so, plainly. */
function describe(err) {
  const text = String(err?.message ?? err);
  if (err instanceof WebAssembly.RuntimeError || /unreachable|out of memory|memory access out of bounds|Memory.grow/i.test(text)) {
    const oom = /memory/i.test(text) || err instanceof RangeError;
    return {
      fatal: true,
      message: oom || /unreachable/.test(text)
        ? `The engine ran out of memory or stopped (${text}). The browser limits a tab's WebAssembly memory to 4 GB: try fewer or smaller files, or the native CLI for very large sets.`
        : `The engine stopped unexpectedly (${text}).`,
    };
  }
  return { fatal: false, message: text };
}

async function sniff({ files }) {
  const results = [];
  for (const { key, name, file } of files) {
    const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
    results.push({ key, ...JSON.parse(Lake.sniff(name, head)) });
  }
  return { results };
}

async function run({ id, mode, location, files }) {
  lake = new Lake();
  parquetCache = new Map();
  const total = files.reduce((n, f) => n + f.file.size, 0);
  let done = 0; // bytes parsed
  let readBytes = 0; // bytes read from the files (one window ahead of parsing)
  let parseMs = 0; // time spent in the engine's decoder
  const t0 = performance.now();
  const read = (file, off) => (off < file.size ? file.slice(off, off + CHUNK).arrayBuffer() : null);
  for (const { name, file, source } of files) {
    lake.openFile(name, source ?? undefined);
    // Blob.slice + arrayBuffer: a bounded window of the file at a time, never the whole file.
    // The next window is read while the engine parses this one (two chunks in memory at most).
    let next = read(file, 0);
    for (let off = 0; next; off += CHUNK) {
      const chunk = new Uint8Array(await next);
      next = read(file, off + CHUNK);
      readBytes += chunk.length;
      post({ type: 'progress', id, phase: 'read', done: readBytes, total });
      const tp = performance.now();
      lake.feed(chunk);
      parseMs += performance.now() - tp;
      done += chunk.length;
      post({ type: 'progress', id, phase: 'parse', done, total, mbps: done / 1e3 / Math.max(parseMs, 1e-3) });
    }
    post({ type: 'file', id, report: JSON.parse(lake.closeFile()) });
  }
  if (total === 0) for (const phase of ['read', 'parse']) post({ type: 'progress', id, phase, done: 0, total: 0, mbps: 0 });
  const tRead = performance.now();
  post({ type: 'progress', id, phase: 'join', done: 0, total: 1 });
  const summary = JSON.parse(lake.run(mode, location || undefined, undefined));
  const tJoin = performance.now();
  post({ type: 'progress', id, phase: 'join', done: 1, total: 1 });
  const parquet = Lake.outputPaths().filter((p) => p.endsWith('.parquet'));
  let k = 0;
  for (const path of parquet) {
    parquetCache.set(path, lake.output(path));
    post({ type: 'progress', id, phase: 'write', done: ++k, total: parquet.length });
  }
  const tWrite = performance.now();
  const sizes = Object.fromEntries([...parquetCache].map(([p, b]) => [p, b.length]));
  return {
    summary,
    quality: JSON.parse(lake.quality()),
    emails: JSON.parse(lake.curatedEmails()),
    sizes,
    timings: { read_s: (tRead - t0) / 1000, join_s: (tJoin - tRead) / 1000, write_s: (tWrite - tJoin) / 1000, bytes: total },
    memoryBytes: Lake.memoryBytes(),
  };
}

function output({ path }) {
  const bytes = parquetCache.get(path) ?? lake.output(path);
  return { path, contentType: Lake.contentType(path), bytes: bytes.slice() };
}

/** Every output in its Hive-layout path, zipped one file at a time into Blob parts. */
async function zip() {
  const parts = [];
  let fail = null;
  const z = new Zip((err, chunk) => { if (err) fail = err; else parts.push(chunk); });
  for (const path of Lake.outputPaths()) {
    const bytes = parquetCache.get(path) ?? lake.output(path);
    // Parquet is already compressed: store it; deflate the text outputs.
    const entry = path.endsWith('.parquet') ? new ZipPassThrough(path) : new ZipDeflate(path, { level: 6 });
    z.add(entry);
    entry.push(bytes, true);
  }
  z.end();
  if (fail) throw fail;
  return { blob: new Blob(parts, { type: 'application/zip' }) };
}

const handlers = {
  sniff,
  run,
  rows: ({ table, offset, limit }) => ({ rows: JSON.parse(lake.rows(table, offset, limit)) }),
  series: ({ email }) => ({ series: JSON.parse(lake.customerSeries(email)) }),
  output,
  zip,
};

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  try {
    await ready;
    if (type !== 'sniff' && type !== 'run' && !lake) throw new Error('no results yet: run the pipeline first');
    const reply = await handlers[type](data);
    post({ type: type === 'run' ? 'result' : 'reply', id, ...reply }, reply.bytes ? [reply.bytes.buffer] : []);
  } catch (err) {
    post({ type: 'error', id, ...describe(err) });
  }
};
