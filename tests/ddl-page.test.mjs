// Generated SQL through the page (issue 10, item 2): the S3 manifest's `location` becomes the DDL's
// LOCATION prefix. A manifest whose location would inject SQL (or is not an s3://bucket/prefix the
// bucket naming rules allow) is refused when it is loaded, with the core's message on the page, and
// nothing is fetched or written; a good location reaches the uploaded DDL exactly. The "bucket" is
// a small recording server on 127.0.0.1 (CORS like S3's): every request the page makes to it is
// logged, so "nothing written" is a count, not an assumption. The wasm binding's own check
// (`Lake.run` with a location) is exercised in the page too. The rules: crate/src/ddl.rs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startPage } from './pagekit.mjs';

const CUSTOMER = join(ROOT, 'fixtures', 'landing', 'customer', 'customer-42.json');
const BUCKET = 'stedi-ddl-test';

let env;
let bucket; // {url, log: [{method, path, body}]}
let browser;
let base;

/** A stand-in for presigned S3 URLs: GET serves the customer fixture, PUT stores the body. */
function startBucket() {
  const log = [];
  const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'ETag' };
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, PUT', 'Access-Control-Allow-Headers': 'content-type, range' });
        return res.end();
      }
      log.push({ method: req.method, path: new URL(req.url, 'http://x').pathname, body: Buffer.concat(chunks).toString('utf8') });
      if (req.method === 'GET') {
        res.writeHead(200, { ...cors, 'Content-Type': 'application/json' });
        return res.end(readFileSync(CUSTOMER));
      }
      if (req.method === 'PUT') {
        res.writeHead(200, { ...cors, ETag: `"${'0'.repeat(32)}"` });
        return res.end();
      }
      res.writeHead(405, cors);
      res.end();
    });
  });
  return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok({ srv, log, url: `http://127.0.0.1:${srv.address().port}` })));
}

/** A manifest as `stedi-lake presign` writes it (one landing object, one output: the DDL). */
function manifest(location) {
  const sig = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20990101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=abc';
  return JSON.stringify({
    format: 'stedi-lake-manifest', version: 1, location, region: 'us-east-1',
    created: '2099-01-01T00:00:00Z', expires: '2099-01-01T01:00:00Z',
    landing: [{ key: 'p/landing/customer/customer-42.json', source: 'customer', size: statSync(CUSTOMER).size, get: `${bucket.url}/${BUCKET}/p/landing/customer/customer-42.json?${sig}` }],
    skipped: [],
    outputs: [{ path: 'ddl/all_tables.sql', key: 'p/ddl/all_tables.sql', content_type: 'application/sql', put: `${bucket.url}/${BUCKET}/p/ddl/all_tables.sql?${sig}` }],
  });
}

async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  Object.assign(page, { errors: [], requests: [] });
  page.on('pageerror', (e) => page.errors.push(e));
  context.on('request', (r) => page.requests.push(r.url()));
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  return page;
}

/** Paste a manifest and press Load; resolves once it is loaded or an error is shown. */
async function loadManifestText(page, text) {
  if (!(await page.$eval('#s3', (d) => d.open))) await page.click('#s3 > summary');
  await page.fill('#manifest-text', text);
  await page.click('#manifest-load');
  await page.waitForFunction(() => document.body.dataset.manifest === 'loaded' || !document.querySelector('#error').hidden);
}

before(async () => {
  env = await startPage({ cli: false });
  ({ browser, base } = env);
  bucket = await startBucket();
});

after(async () => {
  await env?.stop();
  bucket?.srv.close();
});

describe('the manifest location in the generated SQL', () => {
  test('a good location is loaded, run and uploaded: the DDL holds it exactly', async () => {
    const location = `s3://${BUCKET}.x/page/run=1/`;
    const page = await openPage();
    bucket.log.length = 0;
    await loadManifestText(page, manifest(location));
    assert.equal(await page.evaluate(() => document.body.dataset.manifest), 'loaded', await page.textContent('#error'));
    assert.equal(await page.locator('.zone li').count(), 1, 'the landing object is listed');
    await page.evaluate(() => { document.body.dataset.state = 'running'; });
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', await page.textContent('#error'));
    await page.click('#upload');
    await page.waitForFunction(() => ['done', 'partial', 'failed'].includes(document.body.dataset.upload), null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.upload), 'done');
    assert.equal(bucket.log.filter((r) => r.method === 'GET').length, 1, 'the landing object was read');
    const puts = bucket.log.filter((r) => r.method === 'PUT');
    assert.equal(puts.length, 1);
    const ddl = puts[0].body;
    const locations = [...ddl.matchAll(/^LOCATION '([^'\\]*)'$/gm)].map((m) => m[1]);
    assert.equal(locations.length, 8, ddl);
    assert.ok(locations.includes(`s3://${BUCKET}.x/page/run=1/landing/customer/`), locations.join('\n'));
    assert.ok(locations.includes(`s3://${BUCKET}.x/page/run=1/curated/machine_learning_curated/`), locations.join('\n'));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  const hostile = [
    [`s3://${BUCKET}/x'; DROP TABLE t; --`,
      `manifest location "s3://${BUCKET}/x'; DROP TABLE t; --": '\\'' at character 2 of the prefix is not allowed: a prefix holds letters, digits, '/' between folders and - _ . ! ( ) = @ only`],
    [`s3://${BUCKET}/p\nLOCATION 's3://evil/'`, `manifest location "s3://${BUCKET}/p\\nLOCATION 's3://evil/'": '\\n' at character 2 of the prefix`],
    [`s3://${BUCKET}/p\u001b[31mred`, `manifest location "s3://${BUCKET}/p\\u{1b}[31mred": '\\u{1b}' at character 2 of the prefix`],
    [`s3://${BUCKET}/a\`b`, `manifest location "s3://${BUCKET}/a\`b": '\`' at character 2 of the prefix`],
    ['S3://Bad_Bucket', 'manifest location "S3://Bad_Bucket": the scheme must be lower-case s3://'],
    ['s3://bucket..x/p', 'manifest location "s3://bucket..x/p": bucket "bucket..x": must not contain two adjacent dots'],
    ['s3://192.168.1.1/p', 'manifest location "s3://192.168.1.1/p": bucket "192.168.1.1": must not be formatted as an IP address'],
    ['http://b/p', 'manifest location "http://b/p": the scheme "http" is not s3'],
  ];
  for (const [location, message] of hostile) {
    test(`a manifest with location ${JSON.stringify(location)} is refused on load; nothing is fetched or written`, async () => {
      const page = await openPage();
      bucket.log.length = 0;
      await loadManifestText(page, manifest(location));
      const error = await page.textContent('#error');
      assert.ok(error.startsWith(message), `shown: ${JSON.stringify(error)}\nwanted: ${JSON.stringify(message)}`);
      // eslint-disable-next-line no-control-regex -- raw control characters are what this looks for
      assert.ok(!/[\u0000-\u001f\u007f]/.test(error), 'the value is shown escaped, no raw control character');
      assert.notEqual(await page.evaluate(() => document.body.dataset.manifest), 'loaded');
      assert.ok(await page.$eval('#manifest-info', (e) => e.hidden), 'no manifest summary');
      assert.equal(await page.locator('.zone li').count(), 0, 'no S3 object listed as landing data');
      assert.ok(await page.$eval('#run', (b) => b.disabled), 'nothing to run');
      assert.ok(await page.$eval('#upload', (b) => b.hidden), 'nothing to upload');
      assert.deepEqual(bucket.log, [], 'the bucket saw no request');
      assert.deepEqual([...new Set(page.requests.map((u) => new URL(u).origin))], [new URL(base).origin]);
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }

  test('the wasm binding refuses a hostile location or database given to run()', async () => {
    const page = await openPage();
    const got = await page.evaluate(async (cases) => {
      const m = await import('../pkg/stedi_lake.js');
      await m.default();
      const out = [];
      for (const [location, database] of cases) {
        const lake = new m.Lake();
        try { lake.run('strict', location, database); out.push('accepted'); } catch (e) { out.push(`${e.constructor.name}: ${e.message}`); }
      }
      const lake = new m.Lake();
      lake.run('strict', 's3://my-bucket/stedi/', 'lake_2');
      out.push(new TextDecoder().decode(lake.output('ddl/customer_trusted.sql')));
      return out;
    }, [[`s3://${BUCKET}/p'q`, undefined], [undefined, 'x`; DROP DATABASE y; --'], ['', 'a'.repeat(256)]]);
    assert.equal(got[0], `Error: location "s3://${BUCKET}/p'q": '\\'' at character 2 of the prefix is not allowed: a prefix holds letters, digits, '/' between folders and - _ . ! ( ) = @ only`);
    assert.equal(got[1], 'Error: database "x`; DROP DATABASE y; --": \'`\' at character 2 is not allowed: Glue/Athena names hold only lower-case letters a-z, digits and _');
    assert.match(got[2], /^Error: database "a{80}…" \(256 characters\): is 256 characters long; Glue\/Athena names hold at most 255$/);
    assert.ok(got[3].startsWith('CREATE EXTERNAL TABLE IF NOT EXISTS `lake_2`.`customer_trusted` ('), got[3]);
    assert.ok(got[3].includes("LOCATION 's3://my-bucket/stedi/trusted/customer_trusted/'\n"), got[3]);
    await page.context().close();
  });
});
