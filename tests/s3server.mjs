// The S3 side of the end-to-end tests: a real S3-protocol server (moto's, from PyPI) on 127.0.0.1,
// and in front of it a small proxy that does what moto does not: it checks every presigned
// request's SigV4 signature and expiry the way S3 does (403 SignatureDoesNotMatch / "Request has
// expired"), and injects faults on demand (5xx answers, dropped connections). It logs every
// request so tests can count retries. Preflight (OPTIONS) goes to moto, which applies the
// bucket's CORS rules; the proxy adds the CORS headers moto leaves off some responses, for the
// same origins those rules allow.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';

export const ACCESS_KEY = 'stedi-test-key';
export const SECRET_KEY = 'stedi-test-secret';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** moto at $STEDI_S3_ENDPOINT (scripts/test.sh starts it), or one started here. */
export async function ensureMoto() {
  if (process.env.STEDI_S3_ENDPOINT) return { endpoint: process.env.STEDI_S3_ENDPOINT, stop() {} };
  const port = 15000 + Math.floor(Math.random() * 5000);
  const proc = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_DISABLE_GLOBAL_CORS: 'true' }, stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${endpoint}/moto-api/`)).status < 500) return { endpoint, stop: () => proc.kill() }; } catch { /* not up yet */ }
    await sleep(100);
  }
  proc.kill();
  throw new Error('moto server did not start (pip install "moto[server]")');
}

// ---------------------------------------------------------------- SigV4 (query) verification

const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** null if the presigned request is valid now, else [code, message] as S3 would answer. */
export function checkPresigned(method, rawUrl, headers, secret = SECRET_KEY, now = Date.now()) {
  const [path, query = ''] = rawUrl.split('?');
  const params = query.split('&').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    const d = (s) => decodeURIComponent(s.replace(/\+/g, '%20'));
    return i < 0 ? [d(kv), ''] : [d(kv.slice(0, i)), d(kv.slice(i + 1))];
  });
  const get = (k) => params.find(([n]) => n === k)?.[1];
  const amzDate = get('X-Amz-Date');
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate ?? '');
  if (!m) return ['AuthorizationQueryParametersError', 'X-Amz-Date is missing or malformed'];
  const signedAt = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (now > signedAt + Number(get('X-Amz-Expires')) * 1000) return ['AccessDenied', 'Request has expired'];
  const [, ...scopeParts] = get('X-Amz-Credential').split('/');
  const [day, region, service] = scopeParts;
  const signedHeaders = get('X-Amz-SignedHeaders');
  const canonicalQuery = params.filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)]).sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalHeaders = signedHeaders.split(';').map((h) => `${h}:${String(headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [method, path, canonicalQuery, canonicalHeaders, signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = scopeParts.join('/');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  return expected === get('X-Amz-Signature') ? null : ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
}

// ---------------------------------------------------------------- the proxy

/**
 * Start the checking, fault-injecting proxy in front of `upstream`.
 * `proxy.faults` is a list of {method, match: RegExp on the URL, times, status | reset: true |
 * truncate: bytes}; each matching request uses one `times`. `truncate` forwards the request and
 * breaks the connection after that many body bytes. `proxy.log` has {method, url, status, range}.
 */
export async function startProxy(upstream, allowedOrigins) {
  const proxy = { faults: [], log: [] };
  const corsHeaders = (req) => (allowedOrigins.includes(req.headers.origin)
    ? { 'Access-Control-Allow-Origin': req.headers.origin, 'Access-Control-Expose-Headers': 'ETag' } : {});
  const answer = (req, res, status, code, message) => {
    res.writeHead(status, { 'Content-Type': 'application/xml', ...corsHeaders(req) });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    proxy.log.push({ method: req.method, url: req.url, status });
  };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    let truncate = null;
    if (req.method !== 'OPTIONS') {
      const fault = proxy.faults.find((f) => f.times > 0 && (!f.method || f.method === req.method) && f.match.test(req.url));
      if (fault?.truncate) {
        fault.times--;
        truncate = fault.truncate;
      } else if (fault) {
        fault.times--;
        if (fault.reset) { proxy.log.push({ method: req.method, url: req.url, status: 'reset' }); req.socket.destroy(); return; }
        return answer(req, res, fault.status, 'InternalError', 'We encountered an internal error. Please try again.');
      }
      // The test's own boto3 calls sign in the Authorization header: those pass unchecked.
      if (!req.headers.authorization && !req.url.includes('X-Amz-Signature=')) return answer(req, res, 403, 'AccessDenied', 'Anonymous access is not allowed');
      const problem = req.headers.authorization ? null : checkPresigned(req.method, req.url, req.headers);
      if (problem) return answer(req, res, 403, ...problem);
    }
    const headers = { ...req.headers };
    delete headers.host;
    try {
      const up = await fetch(upstream + req.url, { method: req.method, headers, body: ['GET', 'HEAD'].includes(req.method) ? undefined : body, redirect: 'manual' });
      const out = {};
      up.headers.forEach((v, k) => { if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) out[k] = v; });
      // S3 puts the CORS headers on every response; moto only on some (not on multipart
      // completion or abort), so add them for the origins the bucket's rules allow.
      if (req.method !== 'OPTIONS' && !out['access-control-allow-origin']) Object.assign(out, corsHeaders(req));
      const buf = Buffer.from(await up.arrayBuffer());
      res.writeHead(up.status, { ...out, 'Content-Length': buf.length });
      proxy.log.push({ method: req.method, url: req.url, status: truncate ? 'truncated' : up.status, range: req.headers.range });
      if (truncate) {
        res.write(buf.subarray(0, truncate), () => setTimeout(() => req.socket.destroy(), 50));
        return;
      }
      res.end(buf);
    } catch (err) {
      answer(req, res, 502, 'BadGateway', String(err.message));
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy.endpoint = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); });
  return proxy;
}

/** Run tests/s3_tool.py with JSON output (asynchronously: the proxy lives in this process). */
export async function s3tool(args) {
  const { stdout } = await promisify(execFile)('python3', [new URL('./s3_tool.py', import.meta.url).pathname, ...args], { encoding: 'utf8' });
  return JSON.parse(stdout);
}
