// S3 in and out, end to end: fixtures uploaded to a real S3-protocol server (moto) as landing
// objects, `stedi-lake presign` writes the manifest, the page in Chromium reads through presigned
// GETs and writes through presigned PUTs and multipart uploads, and boto3 + pyarrow read the
// results back from the server and compare them with the native CLI's output. Faults (5xx, dropped
// connections, expired links, a CORS-denied origin) come from the proxy in tests/s3server.mjs,
// which also checks every request's SigV4 signature as S3 would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { ACCESS_KEY, SECRET_KEY, ensureMoto, s3tool, startProxy } from './s3server.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const CLI = join(ROOT, 'target', 'release', 'stedi-lake');
const FIXTURES = join(ROOT, 'fixtures', 'landing');
const BUCKET = 'stedi-lake-test';
const tmp = mkdtempSync(join(tmpdir(), 'stedi-s3-'));

let moto;
let proxy;
let server;
let browser;
let base; // http://127.0.0.1:PORT/web/ — the origin the bucket's CORS rules allow
let deniedBase; // the same page from http://localhost:PORT — an origin the rules do not allow

/** `stedi-lake presign` through the proxy (asynchronously: the proxy lives in this process). */
async function presign(prefix, extra = []) {
  const out = join(tmp, `manifest-${prefix.replaceAll('/', '_')}.json`);
  await promisify(execFile)(CLI, ['presign', `s3://${BUCKET}/${prefix}`, '--endpoint', proxy.endpoint, '--path-style', '--out', out, ...extra], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_REGION: 'us-east-1' },
  });
  return { path: out, text: readFileSync(out, 'utf8'), json: JSON.parse(readFileSync(out, 'utf8')) };
}

function cliRun(landing, location, formats = 'parquet,ndjson') {
  const out = join(tmp, `cli-${Math.random().toString(36).slice(2)}`);
  execFileSync(CLI, ['run', landing, '--out', out, '--location', location, '--formats', formats], { stdio: 'pipe' });
  return out;
}

/** A page that records console output, page errors and every request URL. */
async function openPage(url = base) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  Object.assign(page, { errors: [], consoleText: [], requests: [] });
  page.on('pageerror', (e) => page.errors.push(e));
  page.on('console', (m) => page.consoleText.push(m.text()));
  context.on('request', (r) => page.requests.push(r.url()));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  return page;
}

async function loadManifestText(page, text) {
  await page.evaluate(() => { delete document.body.dataset.manifest; });
  if (!(await page.$eval('#s3', (d) => d.open))) await page.click('#s3 > summary');
  await page.fill('#manifest-text', text);
  await page.click('#manifest-load');
  await page.waitForFunction(() => document.body.dataset.manifest === 'loaded' || !document.querySelector('#error').hidden);
}

async function run(page) {
  await page.evaluate(() => { document.body.dataset.state = 'running'; });
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
  return page.evaluate(() => document.body.dataset.state);
}

async function upload(page) {
  await page.evaluate(() => { delete document.body.dataset.upload; });
  await page.click('#upload');
  await page.waitForFunction(() => ['done', 'partial', 'failed'].includes(document.body.dataset.upload), null, { timeout: 120_000 });
  return page.evaluate(() => ({ state: document.body.dataset.upload, report: window.stediLastRun.upload }));
}

/** Nothing the page shows, logs or keeps holds a signature from `manifest`. */
async function assertNoSignatures(page, manifest) {
  const signatures = [...manifest.landing.map((o) => o.get), ...manifest.outputs.flatMap((o) => [o.put, ...(o.stale ?? []).map((x) => x.delete)])]
    .map((u) => new URL(u).searchParams.get('X-Amz-Signature'));
  const visible = await page.evaluate(() => JSON.stringify({
    html: document.documentElement.outerHTML,
    textarea: document.querySelector('#manifest-text').value,
    lastRun: window.stediLastRun ?? null,
    local: { ...localStorage },
    session: { ...sessionStorage },
    href: location.href,
    history: history.length,
  }));
  const haystack = visible + page.consoleText.join('\n') + page.errors.map(String).join('\n');
  assert.ok(!/X-Amz-Signature|X-Amz-Credential/i.test(haystack), 'a signed query string reached the page');
  for (const s of signatures) assert.ok(!haystack.includes(s), 'a signature reached the page');
}

before(async () => {
  assert.ok(existsSync(CLI), `${CLI} missing: build it with cargo build --release`);
  moto = await ensureMoto();
  server = await startServer(0);
  const port = server.address().port;
  base = `http://127.0.0.1:${port}/web/`;
  deniedBase = `http://localhost:${port}/web/`;
  proxy = await startProxy(moto.endpoint, [`http://127.0.0.1:${port}`]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  server?.close();
  moto?.stop();
});

describe('S3 through presigned URLs', () => {
  test('read landing by GET, write by PUT and multipart; the server holds what the CLI writes', async () => {
    // ~17 MB of landing data: machine_learning_curated as NDJSON needs two 5 MiB parts.
    const landing = join(tmp, 'landing-big');
    execFileSync(CLI, ['generate', '--seed', '7', '--size', '16M', '--out', landing], { stdio: 'pipe' });
    const prefix = 'happy';
    const origin = new URL(base).origin;
    await s3tool(['setup', moto.endpoint, BUCKET, prefix, landing, origin]);
    const manifest = await presign(prefix, ['--formats', 'parquet,ndjson', '--part-size', '5Mi']);
    assert.equal(manifest.json.landing.length, 5);
    assert.ok(manifest.json.outputs.some((o) => o.multipart), 'presign prepared multipart uploads');

    // The manifest itself arrives as ?manifest=<presigned GET URL>.
    const { url: manifestUrl } = await s3tool(['presign-get', moto.endpoint, proxy.endpoint, BUCKET, `${prefix}-manifest.json`, manifest.path]);
    const page = await openPage(`${base}?manifest=${encodeURIComponent(manifestUrl)}`);
    await page.waitForFunction(() => document.body.dataset.manifest === 'loaded' || !document.querySelector('#error').hidden);
    assert.equal(await page.evaluate(() => document.body.dataset.manifest), 'loaded', await page.textContent('#error'));
    assert.equal(await page.evaluate(() => location.search), '', 'the manifest URL is dropped from the address bar');
    assert.equal(await page.locator('.zone li[data-file]').count(), 5);

    assert.equal(await run(page), 'done', await page.textContent('#error'));
    const gets = proxy.log.filter((r) => r.method === 'GET' && r.url.includes(`/${prefix}/landing/`));
    assert.equal(gets.length, 5, 'one GET per landing object, no HEAD probe');
    assert.ok(!proxy.log.some((r) => r.method === 'HEAD'));

    const { state, report } = await upload(page);
    assert.equal(state, 'done', JSON.stringify(report.filter((r) => r.status !== 'uploaded')));
    assert.equal(report.length, manifest.json.outputs.length);
    for (const r of report) {
      assert.equal(r.status, 'uploaded');
      assert.match(r.etag ?? '', /^"?[0-9a-f]{32}(-\d+)?"?$/, `${r.path} has an ETag`);
    }
    const multipart = report.filter((r) => r.method.startsWith('multipart'));
    assert.ok(multipart.length >= 1, 'at least one output went up in parts');
    assert.ok(report.some((r) => r.method === 'PUT' && manifest.json.outputs.find((o) => o.path === r.path).multipart),
      'a small table with a prepared multipart upload used one PUT instead');
    assert.equal(await page.locator('#upload-report tr[data-status="uploaded"]').count(), report.length);
    assert.ok(await page.$eval('#p-upload', (p) => p.value === p.max && p.max === document.querySelectorAll('#upload-report tr[data-status]').length));
    assert.match(await page.textContent('#p-upload-text'), new RegExp(`^${report.length} of ${report.length} objects · [\\d.]+ (MB|KB) sent$`));

    // What arrived = what the native CLI writes for the same landing data.
    const cli = cliRun(landing, manifest.json.location);
    // Tables and DDL byte for byte; the reports name the input files (S3 keys here, local paths
    // for the CLI), so they are compared with the file names left out.
    const cmp = await s3tool(['compare', moto.endpoint, BUCKET, prefix, cli, ...report.map((r) => r.path)]);
    assert.equal(Object.keys(cmp).length, report.length);
    for (const [path, c] of Object.entries(cmp)) {
      assert.ok(c.bytes_equal || c.equal_without_file_names, `${path} on the server equals the CLI's file`);
      if (path.endsWith('.parquet')) assert.ok(c.table_equal && c.schema_equal, `${path}: pyarrow sees the same table`);
    }
    assert.ok(cmp['summary.json'].accounted, 'the uploaded summary accounts for every record');
    const st = await s3tool(['state', moto.endpoint, BUCKET, prefix]);
    assert.deepEqual(st.pending_multipart, [], 'no multipart upload left open (unused ones aborted)');
    for (const r of report) assert.equal(st.keys[r.path]?.size, r.size, `${r.path} is on the server with its size`);

    // Only the page's origin and the user's own S3 endpoint were contacted.
    const origins = new Set(page.requests.map((u) => new URL(u).origin));
    assert.deepEqual([...origins].sort(), [new URL(base).origin, proxy.endpoint].sort());
    await assertNoSignatures(page, manifest.json);
    assert.deepEqual(page.errors, []);
  });

  test('faults: 5xx and dropped connections are retried; a failure that persists is reported, never claimed', async () => {
    const prefix = 'faults';
    await s3tool(['setup', moto.endpoint, BUCKET, prefix, FIXTURES, new URL(base).origin]);
    const manifest = await presign(prefix, ['--max-output-size', '12Mi', '--part-size', '5Mi']);
    const page = await openPage();
    await loadManifestText(page, manifest.text);
    proxy.faults = [
      { method: 'GET', match: /\/faults\/landing\/customer\//, times: 1, status: 503 }, // landing read retried
      { method: 'GET', match: /\/faults\/landing\/accelerometer\/.*-0\.json/, times: 1, truncate: 20_000 }, // resumed by Range
      { method: 'PUT', match: /customer_trusted\/part-00000\.parquet/, times: 2, status: 500 }, // retried twice
      { method: 'PUT', match: /customers_curated\/part-00000\.parquet/, times: 2, reset: true }, // dropped (Chromium itself retries once), retried
      { method: 'PUT', match: /\/faults\/data_quality\.json/, times: 99, status: 503 }, // never succeeds
    ];
    const t0 = proxy.log.length;
    assert.equal(await run(page), 'done', await page.textContent('#error'));
    const { state, report } = await upload(page);
    proxy.faults = [];
    const log = proxy.log.slice(t0);
    assert.equal(state, 'partial');
    const by = Object.fromEntries(report.map((r) => [r.path, r]));
    assert.equal(by['trusted/customer_trusted/part-00000.parquet'].status, 'uploaded');
    assert.equal(by['trusted/customer_trusted/part-00000.parquet'].retries, 2);
    assert.equal(by['curated/customers_curated/part-00000.parquet'].status, 'uploaded');
    assert.ok(by['curated/customers_curated/part-00000.parquet'].retries >= 1, 'the page retried the dropped connection');
    assert.equal(log.filter((r) => r.status === 'reset').length, 2);
    const dq = by['data_quality.json'];
    assert.equal(dq.status, 'failed');
    assert.match(dq.error, /HTTP 503/);
    assert.equal(log.filter((r) => r.method === 'PUT' && r.url.includes('/faults/data_quality.json')).length, 5, 'five attempts, then it gives up');
    assert.equal(log.filter((r) => r.method === 'GET' && r.url.includes('/faults/landing/customer/')).length, 2, 'the landing GET was retried once');
    const resumed = log.filter((r) => r.method === 'GET' && /\/faults\/landing\/accelerometer\/.*-0\.json/.test(r.url));
    assert.deepEqual(resumed.map((r) => r.status), ['truncated', 206]);
    assert.match(resumed[1].range, /^bytes=\d+-$/);
    // Retried and resumed reads feed every byte exactly once: the same tables as the native CLI.
    const cliSummary = JSON.parse(readFileSync(join(cliRun(FIXTURES, manifest.json.location, 'parquet'), 'summary.json'), 'utf8'));
    for (const [t, { rows }] of Object.entries(cliSummary.tables)) assert.equal(Number(await page.textContent(`[data-testid="count-${t}"]`)), rows, t);

    const st = await s3tool(['state', moto.endpoint, BUCKET, prefix]);
    assert.ok(!('data_quality.json' in st.keys), 'the failed object is not on the server');
    for (const r of report.filter((x) => x.status === 'uploaded')) assert.equal(st.keys[r.path]?.size, r.size);
    assert.deepEqual(st.pending_multipart, []);
    assert.match(await page.textContent('#error'), /did not upload — nothing is lost/);
    assert.match(await page.textContent('#upload-report'), /NOT uploaded: .*data_quality\.json/);

    // Nothing is lost: the result that failed to upload still downloads.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="customer_trusted.parquet"]')]);
    assert.ok(readFileSync(await dl.path()).length > 100);
    await assertNoSignatures(page, manifest.json);
  });

  test('a part that keeps failing aborts the multipart upload: no object, no open upload', async () => {
    const landing = join(tmp, 'landing-mp');
    execFileSync(CLI, ['generate', '--seed', '8', '--size', '16M', '--out', landing], { stdio: 'pipe' });
    const prefix = 'partfail';
    await s3tool(['setup', moto.endpoint, BUCKET, prefix, landing, new URL(base).origin]);
    const manifest = await presign(prefix, ['--formats', 'parquet,ndjson', '--part-size', '5Mi']);
    const page = await openPage();
    // This time the manifest comes from the file picker.
    await page.click('#s3 > summary');
    await page.setInputFiles('#pick-manifest', manifest.path);
    await page.waitForFunction(() => document.body.dataset.manifest === 'loaded' || !document.querySelector('#error').hidden);
    assert.equal(await page.evaluate(() => document.body.dataset.manifest), 'loaded', await page.textContent('#error'));
    assert.equal(await run(page), 'done', await page.textContent('#error'));
    proxy.faults = [
      { method: 'PUT', match: /machine_learning_curated\/part-00000\.json\?.*partNumber=2/, times: 99, status: 500 },
      { method: 'PUT', match: /machine_learning_curated\/part-00000\.json\?.*partNumber=1/, times: 1, status: 503 },
    ];
    const { state, report } = await upload(page);
    proxy.faults = [];
    assert.equal(state, 'partial');
    const ml = report.find((r) => r.path === 'ndjson/curated/machine_learning_curated/part-00000.json');
    assert.equal(ml.status, 'failed');
    assert.match(ml.error, /part 2 of 2/);
    const st = await s3tool(['state', moto.endpoint, BUCKET, prefix]);
    assert.ok(!(ml.path in st.keys));
    assert.deepEqual(st.pending_multipart, [], 'the failed multipart upload was aborted');
    assert.ok(proxy.log.some((r) => r.method === 'DELETE' && r.url.includes('machine_learning_curated/part-00000.json')));
  });

  test('an upload replaces the objects of each table folder it writes, and only those', async () => {
    const prefix = 'replace';
    await s3tool(['setup', moto.endpoint, BUCKET, prefix, FIXTURES, new URL(base).origin]);
    // An earlier run's files: stale ones in table folders this upload writes, and others it must not touch.
    const stale = {
      'trusted/customer_trusted/part-00000.parquet': ['trusted/customer_trusted/part-00001.parquet', 'trusted/customer_trusted/ndjson/part-00000.json'],
      'curated/customers_curated/part-00000.parquet': ['curated/customers_curated/part-00001.parquet'],
      'ndjson/curated/machine_learning_curated/part-00000.json': ['ndjson/curated/machine_learning_curated/part-00002.json'],
    };
    const untouched = ['trusted/customer_trusted_old/part-00000.parquet', 'typed_landing/customer_landing/part-00000.parquet', 'notes/readme.txt', 'ddl/old_table.sql'];
    const replaced = 'trusted/accelerometer_trusted/part-00000.parquet'; // the engine's own key: a PUT replaces it
    await s3tool(['put', moto.endpoint, BUCKET, prefix, ...Object.values(stale).flat(), ...untouched, replaced]);
    const before = await s3tool(['state', moto.endpoint, BUCKET, prefix]);
    const manifest = await presign(prefix, ['--formats', 'parquet,ndjson']);
    const listed = Object.fromEntries(manifest.json.outputs.filter((o) => o.stale)
      .map((o) => [o.path, o.stale.map((x) => x.key.slice(prefix.length + 1)).sort()]));
    assert.deepEqual(listed, Object.fromEntries(Object.entries(stale).map(([p, k]) => [p, [...k].sort()])));
    assert.equal(manifest.json.landing.length, 5, 'only the landing JSON is read');

    const page = await openPage();
    await loadManifestText(page, manifest.text);
    assert.match(await page.textContent('[data-testid="manifest-stale"] summary'), /^4 older object\(s\)/);
    assert.equal(await run(page), 'done', await page.textContent('#error'));

    // First upload: the customers_curated PUT keeps failing, and one DELETE keeps failing.
    proxy.faults = [
      { method: 'PUT', match: /\/replace\/curated\/customers_curated\/part-00000\.parquet/, times: 99, status: 500 },
      { method: 'DELETE', match: /\/replace\/trusted\/customer_trusted\/ndjson\//, times: 99, status: 503 },
    ];
    const t0 = proxy.log.length;
    let { state, report } = await upload(page);
    proxy.faults = [];
    assert.equal(state, 'partial');
    const by = Object.fromEntries(report.map((r) => [r.path, r]));
    const ct = by['trusted/customer_trusted/part-00000.parquet'];
    assert.equal(ct.status, 'uploaded');
    assert.deepEqual(ct.deleted, [`${prefix}/trusted/customer_trusted/part-00001.parquet`]);
    assert.equal(ct.not_deleted.length, 1);
    assert.match(ct.not_deleted[0].error, /Deleting the stale object replace\/trusted\/customer_trusted\/ndjson\/part-00000\.json: HTTP 503/);
    const cc = by['curated/customers_curated/part-00000.parquet'];
    assert.equal(cc.status, 'failed');
    assert.deepEqual(cc.deleted, [], 'a table whose upload failed keeps its folder as it was');
    assert.equal(cc.stale_kept, 1);
    assert.match(await page.textContent('#error'), /did not upload/);
    assert.equal(await page.locator('#upload-report tr[data-result="deleted"]').count(), 2);
    assert.match(await page.textContent('#upload-report tr[data-result="not-deleted"]'), /NOT deleted: .*HTTP 503/);
    let st = await s3tool(['state', moto.endpoint, BUCKET, prefix]);
    assert.ok(!('trusted/customer_trusted/part-00001.parquet' in st.keys));
    assert.ok('trusted/customer_trusted/ndjson/part-00000.json' in st.keys, 'the failed DELETE left it');
    assert.ok('curated/customers_curated/part-00001.parquet' in st.keys, 'kept: its table did not arrive');
    // Every DELETE went through the SigV4-checking proxy; the ones without a fault were accepted.
    const deletes = proxy.log.slice(t0).filter((r) => r.method === 'DELETE');
    assert.deepEqual(deletes.filter((r) => r.status === 204).map((r) => r.url.split('?')[0]).sort(),
      [`/${BUCKET}/${prefix}/ndjson/curated/machine_learning_curated/part-00002.json`, `/${BUCKET}/${prefix}/trusted/customer_trusted/part-00001.parquet`]);
    assert.equal(deletes.filter((r) => r.status === 503).length, 5, 'a failing DELETE is retried like any request, then reported');

    // Second upload, no faults: every table folder written now holds exactly this run's file.
    ({ state, report } = await upload(page));
    assert.equal(state, 'done', JSON.stringify(report.filter((r) => r.status !== 'uploaded' || r.not_deleted.length)));
    assert.match(await page.textContent('#status'), /deleted \d+ stale object\(s\)/);
    st = await s3tool(['state', moto.endpoint, BUCKET, prefix]);
    for (const k of Object.values(stale).flat()) assert.ok(!(k in st.keys), `${k} is gone`);
    for (const o of manifest.json.outputs.filter((x) => x.path.endsWith('part-00000.parquet') || x.path.endsWith('part-00000.json'))) {
      const folder = o.path.slice(0, o.path.lastIndexOf('/') + 1);
      assert.deepEqual(Object.keys(st.keys).filter((k) => k.startsWith(folder)), [o.path], `${folder} holds this run's table only`);
    }
    // Nothing outside those folders changed; the engine's own key was replaced by the new table.
    for (const k of [...untouched, ...Object.keys(before.keys).filter((x) => x.startsWith('landing/'))]) {
      assert.deepEqual(st.keys[k], before.keys[k], `${k} untouched`);
    }
    assert.equal(st.keys[replaced].size, report.find((r) => r.path === replaced).size);
    assert.notEqual(st.keys[replaced].etag, before.keys[replaced].etag);
    await assertNoSignatures(page, manifest.json);
    assert.deepEqual(page.errors, []);
  });

  test('an expired link is named as such and never retried', async () => {
    const prefix = 'expired';
    await s3tool(['setup', moto.endpoint, BUCKET, prefix, FIXTURES, new URL(base).origin]);
    const manifest = await presign(prefix, ['--expires', '1']);
    await new Promise((r) => setTimeout(r, 2200));
    const page = await openPage();
    await page.click('#sample');
    await page.waitForFunction(() => document.querySelectorAll('.zone li[data-file]').length >= 5);
    await loadManifestText(page, manifest.text);
    // Reading: the expired GET is refused and the run says why.
    const t0 = proxy.log.length;
    assert.equal(await run(page), 'error');
    assert.match(await page.textContent('#error'), /presigned link expired at .*stedi-lake presign/);
    assert.equal(proxy.log.slice(t0).filter((r) => r.method === 'GET').length, 1, 'no retry on 403');
    // Writing: remove the S3 objects, run the local sample, and try to upload with the expired links.
    for (;;) {
      const btn = page.locator('.zone li[data-file^="expired/"] button[title^="remove"]').first();
      if (!(await btn.count())) break;
      await btn.click();
    }
    assert.equal(await run(page), 'done', await page.textContent('#error'));
    const t1 = proxy.log.length;
    const { state, report } = await upload(page);
    assert.equal(state, 'failed');
    for (const r of report) assert.match(r.error, /expired/, r.path);
    assert.equal(proxy.log.slice(t1).filter((r) => r.method === 'PUT').length, report.length, 'one attempt per object');
    assert.deepEqual(Object.keys((await s3tool(['state', moto.endpoint, BUCKET, prefix])).keys).filter((k) => !k.startsWith('landing/')), []);
    await assertNoSignatures(page, manifest.json);
  });

  test('a page origin the bucket does not allow gets the CORS explanation', async () => {
    const prefix = 'cors';
    await s3tool(['setup', moto.endpoint, BUCKET, prefix, FIXTURES, new URL(base).origin]);
    const manifest = await presign(prefix);
    const page = await openPage(deniedBase);
    await loadManifestText(page, manifest.text);
    assert.equal(await run(page), 'error');
    const msg = await page.textContent('#error');
    assert.match(msg, /blocked the request \(CORS\)/);
    assert.match(msg, /http:\/\/localhost:\d+/);
    assert.match(msg, /docs\/s3-cors\.json/);
    await assertNoSignatures(page, manifest.json);
  });
});
