// @ts-check
// S3 through a presigned manifest (docs/manifest.md), inside the engine worker: loading the
// manifest (the page gets only its redacted view: keys, sizes, expiry), streaming a landing
// object into a run, and uploading every output with the report of what arrived. The URLs and
// their signatures stay here; the transfers themselves are engine/s3.js.
//
//   page ──REQUEST.MANIFEST──▶ loadManifest ──{info}──▶ page        (manifest kept by engine/worker.js)
//   engine/ingest.js ──fetchLandingObject(index)──▶ s3.getObject
//   page ──REQUEST.UPLOAD──▶ upload(manifest, outputOf) ──s3.putObject / deleteObject──▶ bucket
import { Lake } from '../../pkg/stedi_lake.js';
import { redact } from './redact.js';
import { deleteObject, expiryOf, getObject, putObject } from './s3.js';

/**
 * Load a manifest from pasted text or from a URL (`?manifest=`). Returns the parsed manifest (URLs
 * included: never posted to the page) and its redacted view.
 * @returns {Promise<{manifest: object, info: import('./protocol.js').ManifestInfo}>}
 */
export async function loadManifest({ text, url }) {
  if (url) {
    let res;
    try {
      res = await fetch(url, { cache: 'no-store' });
    } catch {
      throw new Error(`Could not fetch the manifest from ${redact(url)} (network or CORS).`);
    }
    if (!res.ok) throw new Error(`Could not fetch the manifest from ${redact(url)}: HTTP ${res.status}.`);
    text = await res.text();
  }
  const m = Lake.parseManifest(text);
  // The earliest expiry of any link (a loop, not Math.min(...): manifests can list 100k objects).
  let expires = Infinity;
  const links = [...m.landing.map((o) => o.get), ...m.outputs.flatMap((o) => [o.put, ...(o.stale ?? []).map((x) => x.delete)])];
  for (const u of links) expires = Math.min(expires, expiryOf(u)?.getTime() ?? Infinity);
  return {
    manifest: m,
    info: {
      location: m.location, region: m.region, created: m.created, expires: m.expires,
      expiresMs: Number.isFinite(expires) ? expires : null,
      landing: m.landing.map(({ key, source, size }, index) => ({ index, key, source, size })),
      skipped: m.skipped,
      outputs: m.outputs.map(({ path, key, multipart, stale }) => ({ path, key, parts: multipart?.parts.length ?? 0, stale: (stale ?? []).map((x) => x.key) })),
    },
  };
}

/** Stream one S3 landing object (by its manifest index): `onChunk(Uint8Array)` per piece. */
export async function fetchLandingObject(manifest, index, onChunk) {
  const obj = manifest?.landing[index];
  if (!obj) throw new Error('that S3 object is not in the loaded manifest: load the manifest again');
  await getObject(obj.get, obj.key, onChunk);
}

/**
 * Upload every output the manifest names (`outputOf(path)` gives its bytes). Each object is tried
 * on its own: one failure does not stop the others, and the report says exactly which arrived
 * (status 'uploaded' only after S3 answered 2xx for the PUT or the multipart completion). A
 * table's stale objects (the manifest's `stale`: other files of the folder it writes) are deleted
 * only after that table arrived, so the folder holds exactly this run's table; if the upload
 * failed they stay, with the old table. `onProgress({done, total, sent})`: objects done (with a
 * fraction of the current one) and bytes S3 acknowledged.
 * @returns {Promise<{report: import('./protocol.js').UploadEntry[], location: string}>}
 */
export async function upload(manifest, outputOf, onProgress) {
  if (!manifest) throw new Error('load an S3 manifest first');
  const targets = manifest.outputs;
  const report = [];
  let sent = 0; // bytes acknowledged by S3
  // Progress in objects (each output is built only when its turn comes), with the bytes sent.
  const progress = (k, fraction = 0) => onProgress({ done: k + fraction, total: targets.length, sent });
  progress(0);
  for (const [k, t] of targets.entries()) {
    const bytes = outputOf(t.path);
    const stale = t.stale ?? [];
    /** @type {import('./protocol.js').UploadEntry} */
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
