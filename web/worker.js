// The engine's Web Worker: owns the wasm Lake, so the page never blocks. Files arrive as File/Blob
// handles and are streamed into the engine chunk by chunk; every reply is a message.
//
// Page → worker: {type: 'select' | 'sniff' | 'manifest' | 'run' | 'upload' | 'rows' | 'series' | 'output' | 'zip', id, ...}
// Worker → page: {type: 'progress' | 'file' | 'result' | 'reply' | 'error', id, ...}
// Cancel = the page terminates this worker and starts a new one (the only way to stop wasm mid-call).
//
// S3: a loaded manifest (docs/manifest.md) stays here. The page only ever receives its redacted
// view (keys, sizes, expiry) and messages passed through Lake.redactText: signatures never leave.
import init, { Lake } from '../pkg/stedi_lake.js';
import { Zip, ZipPassThrough, ZipDeflate } from './vendor/fflate.js';
import { getObject, putObject, deleteObject, expiryOf } from './s3.js';

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
        ? `The engine ran out of memory or stopped (${redact(text)}). The browser limits a tab's WebAssembly memory to 4 GB: try fewer or smaller files, or the native CLI for very large sets.`
        : `The engine stopped unexpectedly (${redact(text)}).`,
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
  const m = Lake.parseManifest(text);
  manifest = m;
  // The earliest expiry of any link (a loop, not Math.min(...): manifests can list 100k objects).
  let expires = Infinity;
  for (const u of [...m.landing.map((o) => o.get), ...m.outputs.flatMap((o) => [o.put, ...(o.stale ?? []).map((x) => x.delete)])]) expires = Math.min(expires, expiryOf(u)?.getTime() ?? Infinity);
  return {
    info: {
      location: m.location, region: m.region, created: m.created, expires: m.expires,
      expiresMs: Number.isFinite(expires) ? expires : null,
      landing: m.landing.map(({ key, source, size }, index) => ({ index, key, source, size })),
      skipped: m.skipped,
      outputs: m.outputs.map(({ path, key, multipart, stale }) => ({ path, key, parts: multipart?.parts.length ?? 0, stale: (stale ?? []).map((x) => x.key) })),
    },
  };
}

/** Which paths are landing data: the core's one rule (`ingest::select`, as the CLI and presign). */
function select({ paths }) {
  return { results: Lake.selectFiles(paths) };
}

async function sniff({ files }) {
  const results = [];
  for (const { key, name, file } of files) {
    const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
    results.push({ key, ...Lake.sniff(name, head) });
  }
  return { results };
}

/** Stream one S3 landing object (by its manifest index) into the open file. */
async function feedRemote(index, onChunk) {
  const obj = manifest?.landing[index];
  if (!obj) throw new Error('that S3 object is not in the loaded manifest: load the manifest again');
  await getObject(obj.get, obj.key, onChunk);
}

/** How many workers decode: `requested` if given, else one per core (at most 4) for large local sets. */
const PARALLEL_MIN_BYTES = 48 << 20;
function decoderCount(requested, files, total) {
  if (files.some((f) => !f.file)) return 1; // S3 objects are read here, where the manifest is
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

/** Decode `files` in a decode worker; resolves to the exported bytes. */
function startDecoder(files, onEvent) {
  const w = new Worker(new URL('./decoder.js', import.meta.url), { type: 'module' });
  const done = new Promise((resolve, reject) => {
    w.onmessage = ({ data }) => {
      if (data.type === 'done') resolve({ bytes: data.bytes, at: performance.now() });
      else if (data.type === 'error') reject(new Error(data.message));
      else onEvent(data);
    };
    w.onerror = (e) => { e.preventDefault(); reject(new Error(`a decode worker stopped (${e.message || 'no details'})`)); };
  });
  w.postMessage({ files: files.map(({ name, file, source }) => ({ name, file, source })) });
  return { done, stop: () => w.terminate() };
}

async function run({ id, mode, location, files, decoders: requested }) {
  lake = new Lake();
  parquetCache = new Map();
  const sizeOf = (f) => (f.file ? f.file.size : manifest?.landing[f.remote]?.size ?? 0);
  const total = files.reduce((n, f) => n + sizeOf(f), 0);
  let done = 0; // bytes parsed
  let readBytes = 0; // bytes read from the files (one window ahead of parsing)
  const t0 = performance.now();
  const progressRead = (n) => { readBytes += n; post({ type: 'progress', id, phase: 'read', done: readBytes, total }); };
  const progressParse = (n) => {
    done += n;
    post({ type: 'progress', id, phase: 'parse', done, total, mbps: done / 1e3 / Math.max(performance.now() - t0, 1e-3) });
  };
  const read = (file, off) => (off < file.size ? file.slice(off, off + CHUNK).arrayBuffer() : null);
  const feed = (chunk) => { lake.feed(chunk); progressParse(chunk.length); };

  // Large local sets: later shares of the files go to decode workers, the first is read here.
  const n = decoderCount(requested, files, total);
  const [mine = [], ...theirs] = n > 1 ? shares(files, n) : [files];
  let tOwn = 0; let tWait = 0; let tMerge = 0; let tHelpers = 0; // (decode workers: own share done, waiting, merging)
  const helpers = theirs.map((share) => startDecoder(share, (ev) => {
    if (ev.type === 'read') progressRead(ev.bytes);
    else if (ev.type === 'parsed') progressParse(ev.bytes);
    else if (ev.type === 'file') post({ type: 'file', id, report: ev.report });
  }));
  try {
    for (const { name, file, source, remote } of mine) {
      lake.openFile(name, source ?? undefined);
      if (!file) {
        // S3: the response body, piece by piece as it arrives (read and parse advance together).
        await feedRemote(remote, (chunk) => { progressRead(chunk.length); feed(chunk); });
        post({ type: 'file', id, report: lake.closeFile() });
        continue;
      }
      // Blob.slice + arrayBuffer: a bounded window of the file at a time, never the whole file.
      // The next window is read while the engine parses this one (two chunks in memory at most).
      let next = read(file, 0);
      for (let off = 0; next; off += CHUNK) {
        const chunk = new Uint8Array(await next);
        next = read(file, off + CHUNK);
        progressRead(chunk.length);
        feed(chunk);
      }
      post({ type: 'file', id, report: lake.closeFile() });
    }
    // The shares join in file order: the same tables as one worker reading everything.
    tOwn = performance.now();
    for (const h of helpers) {
      const { bytes, at } = await h.done;
      tHelpers = Math.max(tHelpers, at);
      const tm = performance.now();
      tWait += tm - tOwn;
      lake.appendExported(bytes);
      tMerge += performance.now() - tm;
      h.stop();
    }
  } finally {
    for (const h of helpers) h.stop();
  }
  if (total === 0) for (const phase of ['read', 'parse']) post({ type: 'progress', id, phase, done: 0, total: 0, mbps: 0 });
  const tRead = performance.now();
  post({ type: 'progress', id, phase: 'join', done: 0, total: 1 });
  const summary = lake.run(mode, location || undefined);
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
    quality: lake.quality(),
    emails: lake.curatedEmails(),
    sizes,
    timings: { read_s: (tRead - t0) / 1000, join_s: (tJoin - tRead) / 1000, write_s: (tWrite - tJoin) / 1000, bytes: total, decoders: n, own_s: ((tOwn || performance.now()) - t0) / 1000, wait_s: tWait / 1000, merge_s: tMerge / 1000, helpers_s: tHelpers ? (tHelpers - t0) / 1000 : 0 },
    memoryBytes: Lake.memoryBytes(),
  };
}

/**
 * Upload every output the manifest names. Each object is tried on its own: one failure does not
 * stop the others, and the report says exactly which arrived (status 'uploaded' only after S3
 * answered 2xx for the PUT or the multipart completion). A table's stale objects (the manifest's
 * `stale`: other files of the folder it writes) are deleted only after that table arrived, so the
 * folder holds exactly this run's table; if the upload failed they stay, with the old table.
 */
async function upload({ id }) {
  if (!manifest) throw new Error('load an S3 manifest first');
  const targets = manifest.outputs;
  const report = [];
  let sent = 0; // bytes acknowledged by S3
  // Progress in objects (each output is built only when its turn comes), with the bytes sent.
  const progress = (k, fraction = 0) => post({ type: 'progress', id, phase: 'upload', done: k + fraction, total: targets.length, sent });
  progress(0);
  for (const [k, t] of targets.entries()) {
    const bytes = parquetCache.get(t.path) ?? lake.output(t.path);
    const stale = t.stale ?? [];
    const entry = { path: t.path, key: t.key, size: bytes.length, status: 'failed', etag: null, method: null, retries: 0, error: null, note: null, deleted: [], not_deleted: [], stale_kept: stale.length };
    let retries = 0;
    try {
      const parts = Lake.uploadPlan(t, bytes.length);
      const r = await putObject(t, bytes, parts, (n) => progress(k, n / Math.max(bytes.length, 1)), () => { retries++; });
      Object.assign(entry, { status: 'uploaded', etag: r.etag, method: r.method, note: r.note && redact(r.note) });
      sent += bytes.length;
      entry.stale_kept = 0;
      for (const x of stale) {
        try {
          await deleteObject(x.delete, x.key, () => { retries++; });
          entry.deleted.push(x.key);
        } catch (err) {
          entry.not_deleted.push({ key: x.key, error: redact(String(err?.message ?? err)), expired: Boolean(err?.expired), cors: Boolean(err?.cors) });
        }
      }
    } catch (err) {
      entry.error = redact(String(err?.message ?? err));
      entry.expired = Boolean(err?.expired);
      entry.cors = Boolean(err?.cors);
    }
    entry.retries = retries;
    progress(k + 1);
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
  select,
  sniff,
  manifest: loadManifest,
  run,
  upload,
  rows: ({ table, offset, limit }) => ({ rows: lake.rows(table, offset, limit) }),
  series: ({ email }) => ({ series: lake.customerSeries(email) }),
  output,
  zip,
};

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  try {
    await ready;
    if (!['select', 'sniff', 'run', 'manifest'].includes(type) && !lake) throw new Error('no results yet: run the pipeline first');
    const reply = await handlers[type](data);
    post({ type: type === 'run' ? 'result' : 'reply', id, ...reply }, reply.bytes ? [reply.bytes.buffer] : []);
  } catch (err) {
    post({ type: 'error', id, ...describe(err) });
  }
};
