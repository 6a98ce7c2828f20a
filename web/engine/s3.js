// @ts-check
// S3 transfers through presigned URLs, run inside the engine's worker (the only place that ever
// holds a URL with its signature). GET streams a landing object into a callback chunk by chunk;
// PUT sends one output whole or in multipart parts; DELETE removes a stale object of a table
// folder once its table is uploaded. Every failure becomes a TransferError whose message names the
// object key and the reason in plain words, never the URL.
//
// Retries: network errors and 5xx, with exponential backoff and jitter (RETRY below); 403 never
// (a presigned URL that was refused once will be refused again), with an expired link named as such.

export const RETRY = { attempts: 5, baseMs: 200, maxMs: 4000 };

export class TransferError extends Error {
  constructor(message, { status = 0, expired = false, cors = false, unanswered = null } = {}) {
    super(message);
    this.status = status;
    this.expired = expired;
    this.cors = cors;
    /** @type {{url: string, what: string} | null} a request that got no response (network or CORS: diagnosed last) */
    this.unanswered = unanswered;
  }
}

/** When a presigned URL stops working (X-Amz-Date + X-Amz-Expires), or null. */
export function expiryOf(url) {
  const q = new URL(url).searchParams;
  const date = q.get('X-Amz-Date');
  const secs = Number(q.get('X-Amz-Expires'));
  if (!date || !Number.isFinite(secs)) return null;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + secs * 1000);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt) => Math.min(RETRY.maxMs, RETRY.baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);

/** `Code: Message` of an S3 XML error body, if it has one. */
function s3Error(body) {
  const tag = (t) => new RegExp(`<${t}>([^<]*)</${t}>`).exec(body)?.[1];
  const code = tag('Code');
  return code ? `${code}${tag('Message') ? `: ${tag('Message')}` : ''}` : '';
}

/**
 * A fetch failed without a response: either the network or CORS (the browser hides which).
 * Ask again in no-cors mode: an opaque answer means the server is reachable, so CORS blocked us.
 */
async function diagnose(url, what) {
  const probe = new AbortController();
  const timer = setTimeout(() => probe.abort(), 5000);
  let reachable = false;
  try {
    await fetch(url, { method: 'GET', mode: 'no-cors', cache: 'no-store', signal: probe.signal });
    reachable = true;
  } catch { /* unreachable */ } finally {
    clearTimeout(timer);
    probe.abort(); // headers are enough: never download the body
  }
  const host = new URL(url).host;
  return reachable
    ? new TransferError(`${what}: the browser blocked the request (CORS). The bucket at ${host} does not allow this page's origin (${self.location.origin}); apply the CORS configuration in docs/s3-cors.json with this origin in AllowedOrigins.`, { cors: true })
    : new TransferError(`${what}: could not reach ${host} (network error or the server is down).`);
}

/** Why a response is a failure, and whether trying again can help. */
async function failure(res, url, what) {
  const body = await res.text().catch(() => '');
  const detail = s3Error(body);
  if (res.status === 403) {
    const exp = expiryOf(url);
    if ((exp && Date.now() >= exp.getTime()) || /expired/i.test(detail)) {
      return new TransferError(`${what}: the presigned link expired${exp ? ` at ${exp.toISOString()}` : ''}. Run \`stedi-lake presign\` again and load the new manifest.`, { status: 403, expired: true });
    }
    return new TransferError(`${what}: S3 refused it (403${detail ? ` ${detail}` : ''}); the link may be for another key, method or Content-Type.`, { status: 403 });
  }
  return new TransferError(`${what}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, { status: res.status });
}

const retryable = (err) => !(err instanceof TransferError) || err.status === 0 || err.status >= 500;

/**
 * Run `attempt` (which throws TransferError or a fetch TypeError) until it succeeds, a
 * non-retryable error comes, or the attempts run out. `onRetry(n, err)` reports each retry.
 */
export async function withRetries(attempt, onRetry) {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!retryable(err) || n + 1 >= RETRY.attempts || (err instanceof TransferError && err.cors)) {
        // No answer even after retrying: now tell CORS from an unreachable server.
        if (err instanceof TransferError && err.unanswered) throw await diagnose(err.unanswered.url, err.unanswered.what);
        throw err;
      }
      onRetry?.(n + 1, err);
      await sleep(backoff(n));
    }
  }
}

/**
 * fetch() that turns "no response" into a retryable TransferError. The browser reports a dropped
 * connection and a CORS refusal the same way, so they are retried alike and told apart only when
 * the retries are spent (withRetries → diagnose).
 */
async function send(url, init, what) {
  try {
    return await fetch(url, { cache: 'no-store', ...init });
  } catch {
    throw new TransferError(`${what}: no response (network error)`, { unanswered: { url, what } });
  }
}

/**
 * Stream one landing object: `onChunk(Uint8Array)` for each piece as it arrives. A stream that
 * breaks midway resumes where it stopped with a Range request, so no byte is fed twice.
 * Returns {bytes, retries}.
 */
export async function getObject(url, key, onChunk, onRetry) {
  let offset = 0;
  let retries = 0;
  await withRetries(async () => {
    const headers = offset > 0 ? { Range: `bytes=${offset}-` } : undefined;
    const res = await send(url, { headers }, `Reading ${key}`);
    if (!res.ok) throw await failure(res, url, `Reading ${key}`);
    if (offset > 0 && res.status !== 206) throw new TransferError(`Reading ${key}: the server cannot resume (no Range support).`, { status: 400 });
    const reader = res.body.getReader();
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch {
        throw new TransferError(`Reading ${key}: the connection broke after ${offset} bytes.`);
      }
      if (step.done) return;
      offset += step.value.length;
      onChunk(step.value);
    }
  }, (n, err) => { retries = n; onRetry?.(n, err); });
  return { bytes: offset, retries };
}

/** One PUT of `body`; returns the ETag (null when CORS hides it). */
async function put(url, body, contentType, what) {
  const headers = contentType ? { 'Content-Type': contentType } : undefined;
  const res = await send(url, { method: 'PUT', body, headers }, what);
  if (!res.ok) throw await failure(res, url, what);
  return res.headers.get('ETag');
}

/**
 * Upload one output as its manifest target says. `parts` is the plan (0 = one PUT).
 * Returns {etag, method, attempts}; throws TransferError after aborting a failed multipart upload.
 * `onProgress(bytesDone)` after each finished request.
 */
export async function putObject(target, bytes, parts, onProgress, onRetry) {
  const key = target.key;
  let retries = 0;
  const countRetry = (n, err) => { retries++; onRetry?.(n, err); };
  if (!parts) {
    const etag = await withRetries(() => put(target.put, bytes, target.content_type, `Uploading ${key}`), countRetry);
    onProgress(bytes.length);
    // The prepared multipart upload is not needed: abort it so no pending upload lingers.
    let note = null;
    if (target.multipart) {
      try {
        await withRetries(async () => {
          const res = await send(target.multipart.abort, { method: 'DELETE' }, `Aborting the unused multipart upload of ${key}`);
          if (!res.ok && res.status !== 404) throw await failure(res, target.multipart.abort, `Aborting the unused multipart upload of ${key}`);
        });
      } catch (err) { note = err.message; }
    }
    return { etag, method: 'PUT', retries, note };
  }
  const mp = target.multipart;
  const etags = [];
  let done = 0;
  try {
    for (let i = 0; i < parts; i++) {
      const piece = bytes.subarray(i * mp.part_size, Math.min(bytes.length, (i + 1) * mp.part_size));
      const what = `Uploading part ${i + 1} of ${parts} of ${key}`;
      const etag = await withRetries(() => put(mp.parts[i], piece, null, what), countRetry);
      if (!etag) throw new TransferError(`${what}: the ETag header is hidden from the page; add "ETag" to ExposeHeaders in the bucket CORS configuration (docs/s3-cors.json).`, { cors: true });
      etags.push(etag);
      done += piece.length;
      onProgress(done);
    }
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e.replace(/[<>&]/g, '')}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const what = `Completing the multipart upload of ${key}`;
    const etag = await withRetries(async () => {
      const res = await send(mp.complete, { method: 'POST', body: xml }, what);
      const body = await res.text();
      // S3 can answer 200 and put the error in the body.
      if (!res.ok || /<Error>/.test(body)) throw res.ok ? new TransferError(`${what}: ${s3Error(body) || 'error in the response'}`, { status: 500 }) : await failure(new Response(body, { status: res.status }), mp.complete, what);
      return /<ETag>([^<]*)<\/ETag>/.exec(body)?.[1]?.replaceAll('&quot;', '"') ?? res.headers.get('ETag');
    }, countRetry);
    return { etag, method: `multipart (${parts} parts)`, retries, note: null };
  } catch (err) {
    // Leave nothing half-written: abort, so S3 keeps no parts and no object appears.
    try { await withRetries(() => send(mp.abort, { method: 'DELETE' }, `Aborting ${key}`)); } catch { /* the report says it failed either way */ }
    throw err;
  }
}

/**
 * Delete one object (a stale file of a table folder, after the table's upload succeeded).
 * 2xx, and 404 (already gone), count as done. Returns {retries}; throws TransferError.
 */
export async function deleteObject(url, key, onRetry) {
  let retries = 0;
  const what = `Deleting the stale object ${key}`;
  await withRetries(async () => {
    const res = await send(url, { method: 'DELETE' }, what);
    if (!res.ok && res.status !== 404) throw await failure(res, url, what);
  }, (n, err) => { retries = n; onRetry?.(n, err); });
  return { retries };
}
