// The engine's Web Worker: owns the wasm Lake, so the page never blocks. Files arrive as File/Blob
// handles and are streamed into the engine chunk by chunk; every reply is a message.
//
// Page → worker: {type: 'sniff' | 'manifest' | 'run' | 'upload' | 'rows' | 'series' | 'output' | 'zip', id, ...}
// Worker → page: {type: 'progress' | 'file' | 'result' | 'reply' | 'error', id, ...}
// Cancel = the page terminates this worker and starts a new one (the only way to stop wasm mid-call).
//
// S3: a loaded manifest (docs/manifest.md) stays here. The page only ever receives its redacted
// view (keys, sizes, expiry) and messages passed through Lake.redactText: signatures never leave.
import init, { Lake } from '../pkg/stedi_lake.js';
import { Zip, ZipPassThrough, ZipDeflate } from './vendor/fflate.js';
import { getObject, putObject, expiryOf } from './s3.js';

const CHUNK = 4 << 20; // bytes read per step: large enough for speed, small enough for progress
const ready = init();
let lake = null;
let parquetCache = new Map();
let manifest = null; // the parsed manifest, URLs included: never posted to the page

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
  return { fatal: false, message: redact(text) };
}

/** The one redaction rule (in the core, `manifest::redact_in_text`); before wasm is up, cut every query. */
function redact(text) {
  try { return Lake.redactText(text); } catch { return text.replace(/(https?:\/\/[^\s?#"']*)[?#][^\s"']*/g, '$1?[signature removed]'); }
}

/** Load a manifest from pasted text or from a URL (`?manifest=`); reply with its redacted view. */
async function loadManifest({ text, url }) {
  if (url) {
    let res;
    try { res = await fetch(url, { cache: 'no-store' }); } catch { throw new Error(`Could not fetch the manifest from ${redact(url)} (network or CORS).`); }
    if (!res.ok) throw new Error(`Could not fetch the manifest from ${redact(url)}: HTTP ${res.status}.`);
    text = await res.text();
  }
  const m = JSON.parse(Lake.parseManifest(text));
  manifest = m;
  const expires = Math.min(...[...m.landing.map((o) => o.get), ...m.outputs.map((o) => o.put)].map((u) => expiryOf(u)?.getTime() ?? Infinity));
  return {
    info: {
      location: m.location, region: m.region, created: m.created, expires: m.expires,
      expiresMs: Number.isFinite(expires) ? expires : null,
      landing: m.landing.map(({ key, source, size }, index) => ({ index, key, source, size })),
      skipped: m.skipped,
      outputs: m.outputs.map(({ path, key, multipart }) => ({ path, key, parts: multipart?.parts.length ?? 0 })),
    },
  };
}

async function sniff({ files }) {
  const results = [];
  for (const { key, name, file } of files) {
    const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
    results.push({ key, ...JSON.parse(Lake.sniff(name, head)) });
  }
  return { results };
}

/** Stream one S3 landing object (by its manifest index) into the open file. */
async function feedRemote(index, onChunk) {
  const obj = manifest?.landing[index];
  if (!obj) throw new Error('that S3 object is not in the loaded manifest: load the manifest again');
  await getObject(obj.get, obj.key, onChunk);
}

async function run({ id, mode, location, files }) {
  lake = new Lake();
  parquetCache = new Map();
  const sizeOf = (f) => (f.file ? f.file.size : manifest?.landing[f.remote]?.size ?? 0);
  const total = files.reduce((n, f) => n + sizeOf(f), 0);
  let done = 0; // bytes parsed
  let readBytes = 0; // bytes read from the files (one window ahead of parsing)
  let parseMs = 0; // time spent in the engine's decoder
  const t0 = performance.now();
  const read = (file, off) => (off < file.size ? file.slice(off, off + CHUNK).arrayBuffer() : null);
  const feed = (chunk) => {
    const tp = performance.now();
    lake.feed(chunk);
    parseMs += performance.now() - tp;
    done += chunk.length;
    post({ type: 'progress', id, phase: 'parse', done, total, mbps: done / 1e3 / Math.max(parseMs, 1e-3) });
  };
  for (const { name, file, source, remote } of files) {
    lake.openFile(name, source ?? undefined);
    if (!file) {
      // S3: the response body, piece by piece as it arrives (read and parse advance together).
      await feedRemote(remote, (chunk) => {
        readBytes += chunk.length;
        post({ type: 'progress', id, phase: 'read', done: readBytes, total });
        feed(chunk);
      });
      post({ type: 'file', id, report: JSON.parse(lake.closeFile()) });
      continue;
    }
    // Blob.slice + arrayBuffer: a bounded window of the file at a time, never the whole file.
    // The next window is read while the engine parses this one (two chunks in memory at most).
    let next = read(file, 0);
    for (let off = 0; next; off += CHUNK) {
      const chunk = new Uint8Array(await next);
      next = read(file, off + CHUNK);
      readBytes += chunk.length;
      post({ type: 'progress', id, phase: 'read', done: readBytes, total });
      feed(chunk);
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

/**
 * Upload every output the manifest names. Each object is tried on its own: one failure does not
 * stop the others, and the report says exactly which arrived (status 'uploaded' only after S3
 * answered 2xx for the PUT or the multipart completion).
 */
async function upload({ id }) {
  if (!manifest) throw new Error('load an S3 manifest first');
  const targets = manifest.outputs;
  const sizes = targets.map((t) => (parquetCache.get(t.path) ?? lake.output(t.path)).length);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const report = [];
  post({ type: 'progress', id, phase: 'upload', done, total });
  for (const [i, t] of targets.entries()) {
    const bytes = parquetCache.get(t.path) ?? lake.output(t.path);
    const entry = { path: t.path, key: t.key, size: bytes.length, status: 'failed', etag: null, method: null, retries: 0, error: null, note: null };
    let retries = 0;
    try {
      const parts = Lake.uploadPlan(JSON.stringify(t), bytes.length);
      const r = await putObject(t, bytes, parts, (n) => post({ type: 'progress', id, phase: 'upload', done: done + n, total }),
        () => { retries++; });
      Object.assign(entry, { status: 'uploaded', etag: r.etag, method: r.method, note: r.note && redact(r.note) });
    } catch (err) {
      entry.error = redact(String(err?.message ?? err));
      entry.expired = Boolean(err?.expired);
      entry.cors = Boolean(err?.cors);
    }
    entry.retries = retries;
    done += sizes[i];
    post({ type: 'progress', id, phase: 'upload', done, total });
    report.push(entry);
  }
  return { report, location: manifest.location };
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
  manifest: loadManifest,
  run,
  upload,
  rows: ({ table, offset, limit }) => ({ rows: JSON.parse(lake.rows(table, offset, limit)) }),
  series: ({ email }) => ({ series: JSON.parse(lake.customerSeries(email)) }),
  output,
  zip,
};

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  try {
    await ready;
    if (!['sniff', 'run', 'manifest'].includes(type) && !lake) throw new Error('no results yet: run the pipeline first');
    const reply = await handlers[type](data);
    post({ type: type === 'run' ? 'result' : 'reply', id, ...reply }, reply.bytes ? [reply.bytes.buffer] : []);
  } catch (err) {
    post({ type: 'error', id, ...describe(err) });
  }
};
