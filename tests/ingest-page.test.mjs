// The page reads landing files the way the CLI does (issue #9): mixed framings in one file, a
// damaged array element, UTF-16 with a BOM, lower-cased keys, numbers judged on their text, and
// binary files rejected whole. Chosen with the file picker; every count, and every byte's
// coverage, is compared with the native CLI's summary.json over the same folder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, sameAsCli, startPage } from './pagekit.mjs';
import { byPath } from '../web/ui/files.js';

const tmp = mkdtempSync(join(tmpdir(), 'stedi-ingest-page-'));
let env;
let browser;
let base;

const acc = (t, user = 'a@x.test') => `{"user":"${user}","timestamp":${t},"x":1.0,"y":0.0,"z":0.0}`;
const utf16le = (text) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

/** A landing folder with one file per kind of fault, and what each must give. */
function writeLanding() {
  const L = join(tmp, 'landing');
  for (const s of ['customer', 'accelerometer', 'step_trainer']) mkdirSync(join(L, s), { recursive: true });
  // Customers as a Glue job writes them back (lower-case keys), saved by PowerShell (UTF-16 LE + BOM).
  const customers = [
    '{"customername":"Lia","email":"a@x.test","serialnumber":"S31","registrationdate":1655563999000,"lastupdatedate":1655563999000,"sharewithresearchasofdate":1655564000000}',
    '{"customerName":"Bo","email":"b@x.test","serialNumber":"S32","shareWithResearchAsOfDate":1655564000000.0001}',
  ].join('\r\n') + '\r\n';
  writeFileSync(join(L, 'customer', 'customers.json'), utf16le(customers));
  // The Firehose batch recipe: two arrays one per line, then an NDJSON line (4 readings).
  writeFileSync(join(L, 'accelerometer', 'batch.json'),
    `[${acc(1655564001000)},${acc(1655564002000)}]\n[${acc(1655564003000)}]\n${acc(1655564004000).replace('}', ',"deviceTemp":31}')}\n`);
  // A pretty-printed array with a stray quote in one element: only that element is lost.
  const st = (t) => `{"sensorReadingTime": ${t}, "serialNumber": "S31", "distanceFromObject": 10}`;
  writeFileSync(join(L, 'step_trainer', 'pretty.json'),
    `[\n  ${st(1655564001000)},\n  {"sensorReadingTime": 1655564002000, "serialNumber": "S31"", "distanceFromObject": 10},\n  ${st(1655564003000)}\n]\n`);
  // A Parquet file and UTF-16 without a BOM: rejected whole, one record each.
  writeFileSync(join(L, 'accelerometer', 'old.parquet'), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from('\n\n\nPAR1')]));
  writeFileSync(join(L, 'step_trainer', 'nobom.json'), Buffer.from(`${st(1655564004000)}\n`, 'utf16le'));
  return L;
}

before(async () => {
  env = await startPage();
  ({ browser, base } = env);
});

after(() => env?.stop());

test('the page reads mixed framings, UTF-16, lower-case keys and binary files exactly as the CLI', async () => {
  const L = writeLanding();
  const out = join(tmp, 'cli');
  execFileSync(CLI, ['run', L, '--out', out, '--formats', 'parquet'], { stdio: 'pipe' });
  const want = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  // The CLI itself, against the figures written above (independent of both engines).
  const files = Object.fromEntries(want.files.map((f) => [f.name, f]));
  assert.equal(files['landing/accelerometer/batch.json'].kept, 4);
  assert.deepEqual([files['landing/step_trainer/pretty.json'].kept, files['landing/step_trainer/pretty.json'].quarantined], [2, 1]);
  assert.equal(files['landing/customer/customers.json'].encoding, 'utf-16le');
  assert.deepEqual([files['landing/customer/customers.json'].kept, files['landing/customer/customers.json'].quarantined], [1, 1]);
  for (const name of ['landing/accelerometer/old.parquet', 'landing/step_trainer/nobom.json']) {
    assert.equal(files[name].encoding, 'binary', name);
    assert.equal(files[name].records, 1, name);
    assert.equal(files[name].coverage.quarantined_bytes, statSync(join(tmp, name)).size, name);
  }
  assert.equal(want.sources.customer.quarantined.wrong_type, 1, 'an epoch with a non-zero fraction');
  assert.equal(want.tables.customer_trusted.rows, 1, 'the lower-cased customer consents');
  for (const f of want.files) {
    const c = f.coverage;
    assert.equal(c.kept_bytes + c.quarantined_bytes + c.framing_bytes, c.text_bytes, f.name);
  }
  assert.ok(want.covered && want.accounted);

  // The page, through the folder picker.
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  await page.setInputFiles('#pick-folder', L);
  const n = readdirSync(L, { recursive: true }).filter((p) => statSync(join(L, p)).isFile()).length;
  await page.waitForFunction((k) => document.querySelectorAll('.zone li[data-file], #unrecognised li[data-file]').length >= k && !document.querySelector('#run').disabled, n);
  await page.evaluate(() => { document.body.dataset.state = 'running'; });
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', await page.textContent('#error'));
  const got = await page.evaluate(() => window.stediLastRun.summary);
  for (const t of Object.keys(want.tables)) assert.equal(got.tables[t].rows, want.tables[t].rows, t);
  for (const s of ['customer', 'accelerometer', 'step_trainer']) {
    for (const k of ['records_read', 'kept', 'quarantined_total', 'quarantined', 'coverage']) {
      assert.deepEqual(got.sources[s][k], want.sources[s][k], `${s}.${k}`);
    }
  }
  const byName = (fs) => Object.fromEntries(fs.map((f) => [f.name, [f.kept, f.quarantined, f.encoding, f.coverage]]));
  assert.deepEqual(byName(got.files), byName(want.files));
  assert.ok(got.covered && got.accounted);
  assert.match(await page.textContent('#results'), /Bytes accounted for\s*all/);
  // Schema drift: the key no source defines is listed with where it was first seen.
  const want_dq = JSON.parse(readFileSync(join(out, 'data_quality.json'), 'utf8'));
  assert.deepEqual(want_dq.schema_drift.map((k) => [k.source, k.key, k.count, k.first_line]), [['accelerometer', 'deviceTemp', 1, 3]]);
  assert.match(await page.textContent('[data-drift="deviceTemp"]'), /accelerometer\.deviceTemp: 1 records, first landing\/accelerometer\/batch\.json:3/);
  assert.deepEqual(errors, []);
  await context.close();
});

/**
 * Open the page with `query`, pick `folder` with the folder picker, run, and wait until the run is
 * done (asserted). Returns the context (close it) and the page.
 */
async function runPicked(folder, query = '') {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${base}${query}`);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  await page.setInputFiles('#pick-folder', folder);
  await page.waitForFunction(() => !document.querySelector('#run').disabled);
  await page.evaluate(() => { document.body.dataset.state = 'running'; });
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', await page.textContent('#error'));
  return { context, page };
}

/**
 * Many small files, empty ones (first, between and last) and one spanning three 16 MB read
 * windows, as the reader workers (engine/reader.js) hand them over: windows of all the files cut
 * at file boundaries, read ahead, in order.
 */
function writeManyFiles() {
  const L = join(tmp, 'many');
  for (const s of ['customer', 'accelerometer', 'step_trainer']) mkdirSync(join(L, s), { recursive: true });
  const written = { accelerometer: 0, step_trainer: 0 };
  writeFileSync(join(L, 'customer', 'c.json'), '{"customerName":"A","email":"a@x.test","serialNumber":"S1","shareWithResearchAsOfDate":1}\n');
  writeFileSync(join(L, 'customer', 'empty.json'), '');
  writeFileSync(join(L, 'accelerometer', 'a-empty.json'), '');
  writeFileSync(join(L, 'step_trainer', 'zz-empty.json'), '');
  for (let f = 0; f < 60; f++) {
    const lines = Array.from({ length: 1 + (f % 7) * 50 }, (_, i) => acc(1655564000000 + f * 100000 + i));
    writeFileSync(join(L, 'accelerometer', `small-${String(f).padStart(2, '0')}.json`), lines.join('\n') + '\n');
    written.accelerometer += lines.length;
  }
  // ~37 MB: three windows, with records cut at the window edges.
  const big = [];
  for (let i = 0; i < 400_000; i++) big.push(`{"sensorReadingTime": ${1655564000000 + i}, "serialNumber": "S1", "distanceFromObject": ${i % 997}}`);
  writeFileSync(join(L, 'step_trainer', 'big.json'), big.join('\n') + '\n');
  written.step_trainer = big.length;
  return { L, written };
}

test('the reader workers: many small files, empty ones (first, between, last) and one larger than a read window, read exactly as the CLI', async () => {
  const { L, written } = writeManyFiles();
  assert.ok(statSync(join(L, 'step_trainer', 'big.json')).size > 2 * (16 << 20));
  const out = join(tmp, 'many-cli');
  execFileSync(CLI, ['run', L, '--out', out, '--formats', 'parquet'], { stdio: 'pipe' });
  const want = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  // The generator's own counts, independent of both engines.
  assert.equal(want.sources.accelerometer.kept, written.accelerometer);
  assert.equal(want.sources.step_trainer.kept, written.step_trainer);
  for (const decoders of [1, 2]) {
    const { context, page } = await runPicked(L, `?decoders=${decoders}`);
    const got = await page.evaluate(() => window.stediLastRun);
    assert.equal(got.timings.decoders, decoders);
    for (const s of ['customer', 'accelerometer', 'step_trainer']) assert.deepEqual(got.summary.sources[s], want.sources[s], `${s} with ${decoders} decoder(s)`);
    const byName = (fs) => Object.fromEntries(fs.map((f) => [f.name, [f.records, f.kept, f.quarantined, f.coverage]]));
    assert.deepEqual(byName(got.summary.files), byName(want.files));
    for (const t of Object.keys(want.tables)) assert.equal(got.summary.tables[t].rows, want.tables[t].rows, t);
    await context.close();
  }
});

test('a file that can no longer be read stops the run with its name', async () => {
  const L = join(tmp, 'vanishing');
  mkdirSync(join(L, 'accelerometer'), { recursive: true });
  for (let f = 0; f < 20; f++) writeFileSync(join(L, 'accelerometer', `a-${f}.json`), acc(1655564000000 + f) + '\n');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  await page.setInputFiles('#pick-folder', L);
  await page.waitForFunction(() => !document.querySelector('#run').disabled);
  // Changed on disk after it was chosen: the browser refuses to read it (NotReadableError).
  writeFileSync(join(L, 'accelerometer', 'a-13.json'), acc(1) + '\n' + acc(2) + '\n');
  await page.evaluate(() => { document.body.dataset.state = 'running'; });
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
  assert.match(await page.textContent('#error'), /a-13\.json: could not be read/);
  // The files the run did not report are sniffed again: none stays "checking…", and the run's
  // error and status are still the ones shown. The changed file says it could not be read, unless
  // the first sniff read it before it changed (then it keeps that guess; the error names it).
  await page.waitForFunction(() => ![...document.querySelectorAll('li[data-file]')].some((li) => li.textContent.includes('checking…')), null, { timeout: 30_000 });
  assert.match(await page.textContent('#error'), /a-13\.json: could not be read/);
  assert.match(await page.textContent('#status'), /did not finish/);
  const changed = await page.textContent('li[data-file="vanishing/accelerometer/a-13.json"]');
  assert.ok(/Could not be read/.test(changed) || !/records/.test(changed), `the changed file's row: ${changed}`);
  await context.close();
});

test('the landing writer worker: several chunks, sent after or while reading, one or two decoders: the CLI\'s Parquet bytes', async () => {
  // 150,000 readings of 90 users (2 full chunks of 65,536 and a short one), in 6 files, with new
  // emails arriving all along (strings sent as they grow).
  const L = join(tmp, 'chunks');
  for (const s of ['customer', 'accelerometer', 'step_trainer']) mkdirSync(join(L, s), { recursive: true });
  writeFileSync(join(L, 'customer', 'c.json'), '{"customerName":"A","email":"u0@x.test","serialNumber":"S1","shareWithResearchAsOfDate":1}\n');
  writeFileSync(join(L, 'step_trainer', 's.json'), '{"sensorReadingTime": 1655564000000, "serialNumber": "S1", "distanceFromObject": 1}\n');
  let n = 0;
  for (let f = 0; f < 6; f++) {
    const lines = [];
    for (let i = 0; i < 25_000; i++, n++) {
      lines.push(`{"user":"u${Math.floor(n / 1700)}@x.test","timestamp":${1655564000000 + n},"x":${(n % 97) / 8},"y":${n % 5 ? -0.5 : null},"z":${n}}`);
    }
    writeFileSync(join(L, 'accelerometer', `a-${f}.json`), lines.join('\n') + '\n');
  }
  const out = join(tmp, 'chunks-cli');
  execFileSync(CLI, ['run', L, '--out', out, '--formats', 'parquet'], { stdio: 'pipe' });
  assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).sources.accelerometer.kept, n);
  for (const query of ['', '?held=0&decoders=2', '?held=1']) {
    const { context, page } = await runPicked(L, query);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#zip')]);
    const zip = join(tmp, 'chunks.zip');
    await download.saveAs(zip);
    assert.deepEqual(sameAsCli(zip, out, ['.parquet']), { n: 8, differ: [] }, query);
    await context.close();
  }
});

test('the page reads files in the CLI\'s order (by path component, as UTF-8 bytes), whatever order the browser lists them in', () => {
  const root = join(tmp, 'order');
  const names = ['a-b/x.json', 'a/x.json', 'B/y.json', 'a/\u00e9.json', 'a/z.json', 'a.b/x.json', 'a/\u{1F600}.json', 'a/\uFF5E.json'];
  for (const n of names) {
    mkdirSync(join(root, 'accelerometer', n, '..'), { recursive: true });
    writeFileSync(join(root, 'accelerometer', n), acc(1655564000000) + '\n');
  }
  const out = join(tmp, 'order-cli');
  execFileSync(CLI, ['run', root, '--out', out, '--formats', 'parquet'], { stdio: 'pipe' });
  const cli = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).files.map((f) => f.name);
  const listed = names.map((n) => `order/accelerometer/${n}`).reverse();
  assert.deepEqual([...listed].sort(byPath), cli);
});

test('byPath orders path components as their UTF-8 (WTF-8) bytes compare (random names: astral, U+E000.., lone surrogates)', () => {
  const alphabet = ['a', 'B', '-', '.', '_', '\u00e9', '\u0800', '\ud7ff', '\ue000', '\uff5e', '\ufffd', '\u{1F600}', '\u{10FFFF}', '\ud800', '\udfff', '/'];
  let seed = 7;
  const rand = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const name = () => Array.from({ length: 1 + rand(6) }, () => alphabet[rand(alphabet.length)]).join('');
  // Each code point as UTF-8, a lone surrogate as its own value (WTF-8: how Rust orders an OsStr).
  const wtf8 = (text) => {
    const out = [];
    for (let i = 0; i < text.length;) {
      const c = text.codePointAt(i);
      i += c > 0xffff ? 2 : 1;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return Buffer.from(out);
  };
  const reference = (a, b) => {
    const [pa, pb] = [a.split('/').map(wtf8), b.split('/').map(wtf8)];
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      const c = Buffer.compare(pa[i], pb[i]);
      if (c) return c;
    }
    return pa.length - pb.length;
  };
  const lengths = new Set();
  for (let k = 0; k < 20000; k++) {
    const [a, b] = [name(), name()];
    lengths.add(a.length);
    assert.equal(Math.sign(byPath(a, b)), Math.sign(reference(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  assert.ok(lengths.size >= 8, `names of ${lengths.size} lengths`);
});
