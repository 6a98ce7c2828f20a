// End-to-end tests of the page (web/) in Debian's Chromium, driven by playwright-core, against the
// page served on 127.0.0.1. Counts are checked against the native CLI's summary.json for the same
// input; downloads are checked with an independent reader (pyarrow).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { tailStart } from '../web/engine/landing-share.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { CLI, ROOT, sameAsCli, startPage } from './pagekit.mjs';

const FIXTURES = join(ROOT, 'fixtures', 'landing');
const REAL = resolve(ROOT, '..', 'shared', 'stedi', 'landing');
const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const TABLES = ['customer_landing', 'accelerometer_landing', 'step_trainer_landing', 'customer_trusted',
  'accelerometer_trusted', 'step_trainer_trusted', 'customers_curated', 'machine_learning_curated'];

let env;
let browser;
let base;
const tmp = mkdtempSync(join(tmpdir(), 'stedi-page-'));

/** Run the native CLI and return [summary, outDir]. */
function cli(landing, mode) {
  const out = join(tmp, `cli-${mode}-${Math.random().toString(36).slice(2)}`);
  execFileSync(CLI, ['run', landing, '--out', out, '--mode', mode, '--formats', 'parquet'], { stdio: 'pipe' });
  return [JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), out];
}
const expectedCounts = (summary) => Object.fromEntries(TABLES.map((t) => [t, summary.tables[t].rows]));
/** Each file of a summary: name → [source, routed_by, kept, quarantined, error]. */
const routes = (summary) => Object.fromEntries(summary.files.map((f) => [f.name, [f.source, f.routed_by, f.kept, f.quarantined, f.error]]));
const lastSummary = (page) => page.evaluate(() => window.stediLastRun.summary);

/** The file names the page lists in each source's zone and under "not STEDI landing data". */
async function listed(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.zone[data-source], #unrecognised')].map((z) => [
    z.dataset.source ?? 'unrecognised', [...z.querySelectorAll('li[data-file]')].map((li) => li.dataset.file).sort()])));
}

async function openPage(viewport = { width: 1366, height: 900 }) {
  const context = await browser.newContext({ acceptDownloads: true, viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  return page;
}

async function runMode(page, mode) {
  await page.check(`input[name="mode"][value="${mode}"]`);
  await page.evaluate(() => { document.body.dataset.state = 'running'; });
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', await page.textContent('#error'));
}

async function pageCounts(page) {
  const out = {};
  for (const t of TABLES) out[t] = Number(await page.textContent(`[data-testid="count-${t}"]`));
  return out;
}

/** Simulated drag-and-drop of a whole directory: the page's real drop handler receives a
 *  DataTransfer whose item is a directory entry (webkitGetAsEntry), as Chromium gives for a folder. */
async function dropFixturesFolder(page) {
  await page.evaluate(async () => {
    const paths = await (await fetch('sample-files.json')).json(); // landing/<source>/<file>
    const tree = {};
    for (const p of paths) {
      const blob = await (await fetch(`../fixtures/${p}`)).blob();
      const [, source, name] = p.split('/');
      (tree[source] ??= []).push({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([blob], name)) });
    }
    const dir = (name, children) => ({
      isFile: false, isDirectory: true, name,
      createReader() { let given = false; return { readEntries(ok) { ok(given ? [] : ((given = true), children)); } }; },
    });
    const root = dir('landing', Object.entries(tree).map(([s, files]) => dir(s, files)));
    const ev = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(ev, 'dataTransfer', { value: { items: [{ webkitGetAsEntry: () => root }], files: [] } });
    document.body.dispatchEvent(ev);
  });
}

async function waitForFiles(page, n) {
  await page.waitForFunction((k) => document.querySelectorAll('.zone li[data-file]').length === k && !document.querySelector('#run').disabled, n);
}

/**
 * A landing folder `name` (in tmp) of one customer and many one-record files: `accelerometer`
 * readings (a-000.json …) and `stepTrainer` ones (s-000.json …). Returns its path.
 */
function oneRecordFiles(name, accelerometer, stepTrainer) {
  const dir = join(tmp, name);
  for (const s of ['customer', 'accelerometer', 'step_trainer']) mkdirSync(join(dir, s), { recursive: true });
  writeFileSync(join(dir, 'customer', 'c.json'), '{"customerName":"A","email":"a@x.test","serialNumber":"S1","registrationDate":1655563000000,"lastUpdateDate":1655563000000,"shareWithResearchAsOfDate":1655564000000}\n');
  const n = (i) => String(i).padStart(3, '0');
  for (let i = 0; i < accelerometer; i++) {
    writeFileSync(join(dir, 'accelerometer', `a-${n(i)}.json`), `{"user":"a@x.test","timestamp":${1655564000000 + i},"x":1.0,"y":0.0,"z":0.0}\n`);
  }
  for (let i = 0; i < stepTrainer; i++) {
    writeFileSync(join(dir, 'step_trainer', `s-${n(i)}.json`), `{"sensorReadingTime":${1655564000000 + i},"serialNumber":"S1","distanceFromObject":200}\n`);
  }
  return dir;
}

/** Independent check of a Parquet file: rows and a column sum, by pyarrow. */
function parquetStats(path, column) {
  const py = 'import sys,pyarrow.parquet as pq,pyarrow.compute as pc; t=pq.read_table(sys.argv[1]); print(t.num_rows, pc.sum(t[sys.argv[2]]).as_py())';
  const [rows, sum] = execFileSync('python3', ['-c', py, path, column], { encoding: 'utf8' }).trim().split(' ');
  return { rows: Number(rows), sum: Number(sum) };
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  env = await startPage();
  ({ browser, base } = env);
});

after(() => env?.stop());

describe('getting data in and running', () => {
  test('several decode workers (?decoders=3) write byte-identical outputs to the CLI', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${base}?decoders=3`);
    await page.waitForFunction(() => document.body.dataset.state === 'idle');
    await page.click('#sample');
    await waitForFiles(page, 5);
    await runMode(page, 'strict');
    assert.equal(await page.evaluate(() => window.stediLastRun.timings.decoders), 3);
    const [, out] = cli(FIXTURES, 'strict');
    execFileSync(CLI, ['run', FIXTURES, '--out', out, '--mode', 'strict', '--overwrite'], { stdio: 'pipe' }); // + NDJSON (replacing the Parquet-only run)
    const [zdl] = await Promise.all([page.waitForEvent('download'), page.click('#zip')]);
    const zip = join(tmp, 'parallel.zip');
    await zdl.saveAs(zip);
    // Tables and DDL byte for byte (the reports name the files by path, which differs).
    assert.deepEqual(sameAsCli(zip, out, ['.parquet', '.sql', 'ndjson/']), { n: 8 + 8 + 9, differ: [] });
    await context.close();
  });

  test('past one row group, the accelerometer landing table encoded by two workers is the CLI\'s file byte for byte', async () => {
    // Generated (`stedi-lake generate`): 1.14 M readings, 18 landing chunks of 65,536, so the
    // engine worker encodes the last row group (engine/landing-share.js) and the landing writer
    // joins it to the first. Twice: chunks sent once reading is done (the default), and all but
    // 16 of the full ones sent while reading (?held=16, one decoding worker so they fill while
    // reading). ~220 MB, removed at the end.
    const landing = join(tmp, 'past-one-row-group');
    execFileSync(CLI, ['generate', '--out', landing, '--size', '220M', '--quiet'], { stdio: 'pipe' });
    try {
      const files = readdirSync(landing, { recursive: true }).filter((f) => f.endsWith('.json')).length;
      const [summary, out] = cli(landing, 'strict');
      const rows = summary.tables.accelerometer_landing.rows;
      const chunks = Math.ceil(rows / 65_536);
      assert.ok(rows > 16 * 65_536, 'more than one row group of readings');
      for (const query of ['', '?held=16&decoders=1']) {
        const context = await browser.newContext({ acceptDownloads: true });
        const page = await context.newPage();
        await page.goto(`${base}${query}`);
        await page.waitForFunction(() => document.body.dataset.state === 'idle');
        await page.setInputFiles('#pick-folder', landing);
        await waitForFiles(page, files);
        await runMode(page, 'strict');
        const t = await page.evaluate(() => window.stediLastRun.timings);
        const what = `${query}: ${JSON.stringify(t)}`;
        if (query) assert.equal(t.sent_while_reading, Math.floor(rows / 65_536) - 16, what);
        else {
          assert.equal(t.sent_while_reading, 0, what);
          assert.ok(t.tail_chunks > 0, `the engine worker encoded no row group: ${what}`);
        }
        assert.equal(t.tail_chunks, chunks - tailStart(chunks, t.sent_while_reading, 16, 'strict'), what);
        const zip = join(tmp, 'two-workers.zip');
        const [zdl] = await Promise.all([page.waitForEvent('download'), page.click('#zip')]);
        await zdl.saveAs(zip);
        await context.close();
        assert.deepEqual(sameAsCli(zip, out, ['.parquet']), { n: 8, differ: [] }, query);
        rmSync(zip);
      }
      rmSync(out, { recursive: true });
    } finally {
      rmSync(landing, { recursive: true, force: true });
    }
  });

  test('dropped fixtures folder: both modes match the native CLI', async () => {
    const page = await openPage();
    await dropFixturesFolder(page);
    await waitForFiles(page, 5);
    for (const source of ['customer', 'accelerometer', 'step_trainer']) {
      assert.ok(await page.locator(`.zone[data-source="${source}"] li`).count() > 0, `${source} has files`);
    }
    for (const mode of ['strict', 'rubric']) {
      await runMode(page, mode);
      const [want] = cli(FIXTURES, mode);
      assert.deepEqual(await pageCounts(page), expectedCounts(want), mode);
      // The engine routed each file as the CLI does (by its folder), not by a source the page sent.
      assert.deepEqual(routes(await lastSummary(page)), routes(want), mode);
      assert.deepEqual(new Set(want.files.map((f) => f.routed_by)), new Set(['path']));
    }
    // Record counts appear on the landing files after a run.
    assert.match(await page.textContent('.zone[data-source="customer"] li'), /records/);
    await page.screenshot({ path: join(ARTIFACTS, 'page-fixtures.png'), fullPage: true });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a dropped folder: only the landing files are read, everything else is listed with its reason', async () => {
    // A previous output tree (the CLI's, with its marker) beside the landing data, and what
    // Spark, Glue, macOS and people leave in such a folder.
    const [, prev] = cli(FIXTURES, 'strict');
    const tree = {};
    const landing = [];
    const walk = (dir, rel) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
        else { tree[`landing/${rel}${e.name}`] = readFileSync(join(dir, e.name)); landing.push(`drop/landing/${rel}${e.name}`); }
      }
    };
    walk(FIXTURES, '');
    const others = {
      _SUCCESS: ['', 'bookkeeping'],
      '.DS_Store': ['Bud1\0\0binary', 'hidden'],
      '_temporary/x.json': ['{"email":"temp@x.test","customerName":"T"}\n', 'bookkeeping'],
      'out/_stedi-lake.json': [readFileSync(join(prev, '_stedi-lake.json')), 'engine_output'],
      'out/trusted/customer_trusted/part-00000.parquet': [readFileSync(join(prev, 'trusted/customer_trusted/part-00000.parquet')), 'engine_output'],
      'out/summary.json': [readFileSync(join(prev, 'summary.json')), 'engine_output'],
      'notes/readme.txt': ['not landing data\n', 'outside_landing'],
      '.git/HEAD': ['ref: refs/heads/main\n', 'hidden'], // a hidden folder: listed once, not entered
    };
    for (const [rel, [body]] of Object.entries(others)) tree[rel] = Buffer.from(body);
    const want = Object.fromEntries(Object.entries(others).map(([rel, [, kind]]) => [rel === '.git/HEAD' ? 'drop/.git/' : `drop/${rel}`, kind]));

    // The same folder on disk, for the CLI.
    const dropDir = join(tmp, 'drop');
    for (const [rel, bytes] of Object.entries(tree)) {
      mkdirSync(join(dropDir, rel, '..'), { recursive: true });
      writeFileSync(join(dropDir, rel), bytes);
    }

    const page = await openPage();
    await page.evaluate((files) => {
      const root = { dirs: {}, files: [] };
      for (const [path, b64] of Object.entries(files)) {
        const parts = path.split('/');
        let node = root;
        for (const d of parts.slice(0, -1)) node = (node.dirs[d] ??= { dirs: {}, files: [] });
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const name = parts.at(-1);
        node.files.push({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([bytes], name)) });
      }
      const entry = (name, node) => ({
        isFile: false, isDirectory: true, name,
        createReader() {
          const children = [...Object.entries(node.dirs).map(([n, d]) => entry(n, d)), ...node.files];
          let given = false;
          return { readEntries(ok) { ok(given ? [] : ((given = true), children)); } };
        },
      });
      const ev = new Event('drop', { bubbles: true, cancelable: true });
      Object.defineProperty(ev, 'dataTransfer', { value: { items: [{ webkitGetAsEntry: () => entry('drop', root) }], files: [] } });
      document.body.dispatchEvent(ev);
    }, Object.fromEntries(Object.entries(tree).map(([rel, bytes]) => [rel, bytes.toString('base64')])));
    await waitForFiles(page, landing.length);

    // Every file that is not landing data is listed, as text, with the reason of its kind.
    const listed = await page.$$eval('#skipped li[data-skipped]', (lis) => lis.map((li) => ({
      name: li.dataset.skipped, kind: li.dataset.kind, shown: li.querySelector('.name').textContent, reason: li.querySelector('.reason').textContent,
    })));
    assert.deepEqual(Object.fromEntries(listed.map((l) => [l.name, l.kind])), want);
    for (const l of listed) {
      assert.equal(l.shown, l.name);
      assert.match(l.reason, { engine_output: /written by stedi-lake/, hidden: /hidden/, bookkeeping: /bookkeeping/, outside_landing: /not below a landing\/ folder/ }[l.kind]);
    }
    assert.match(await page.textContent('#skipped summary'), new RegExp(`^${listed.length} file\\(s\\) not read`));
    assert.equal(await page.isHidden('#unrecognised'), true, 'nothing else is left unrouted');
    assert.deepEqual((await page.$$eval('.zone li[data-file]', (lis) => lis.map((li) => li.dataset.file))).sort(), [...landing].sort());
    await page.click('#skipped summary');
    await page.screenshot({ path: join(ARTIFACTS, 'page-skipped.png') });

    // Only the landing files are read: their bytes, and the CLI's counts over the same files.
    await runMode(page, 'strict');
    const bytes = landing.reduce((n, p) => n + tree[p.slice('drop/'.length)].length, 0);
    assert.equal(await page.evaluate(() => window.stediLastRun.timings.bytes), bytes);
    const counts = await pageCounts(page);
    assert.deepEqual(counts, expectedCounts(cli(FIXTURES, 'strict')[0]));
    const [cliDrop] = cli(dropDir, 'strict');
    assert.deepEqual(counts, expectedCounts(cliDrop), 'the CLI over the same dropped folder reads the same files');
    assert.equal(cliDrop.files.length, landing.length);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('folder picker with the fixtures folder', async () => {
    const page = await openPage();
    await page.setInputFiles('#pick-folder', FIXTURES);
    await waitForFiles(page, 5);
    await runMode(page, 'strict');
    assert.deepEqual(await pageCounts(page), expectedCounts(cli(FIXTURES, 'strict')[0]));
    await page.context().close();
  });

  test('the real STEDI landing data, both modes', { skip: !existsSync(REAL) && `${REAL} not present` }, async () => {
    const page = await openPage();
    await page.setInputFiles('#pick-folder', REAL);
    await waitForFiles(page, 13);
    for (const mode of ['strict', 'rubric']) {
      await runMode(page, mode);
      assert.deepEqual(await pageCounts(page), expectedCounts(cli(REAL, mode)[0]), mode);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'page-real.png'), fullPage: true });
    await page.context().close();
  });

  test('sample data button loads the fixtures', async () => {
    const page = await openPage();
    await page.click('#sample');
    await waitForFiles(page, 5);
    await runMode(page, 'strict');
    assert.deepEqual(await pageCounts(page), expectedCounts(cli(FIXTURES, 'strict')[0]));
    await page.context().close();
  });
});

describe('getting results out', () => {
  test('a table as Parquet and everything as a zip, checked by pyarrow', async () => {
    const page = await openPage();
    await page.click('#sample');
    await waitForFiles(page, 5);
    await runMode(page, 'strict');
    const [summary, out] = cli(FIXTURES, 'strict');
    const want = parquetStats(join(out, 'curated/machine_learning_curated/part-00000.parquet'), 'distanceFromObject');
    assert.equal(want.rows, summary.tables.machine_learning_curated.rows);

    const card = page.locator('[data-table="machine_learning_curated"]');
    const [dl] = await Promise.all([page.waitForEvent('download'), card.locator('[data-download="machine_learning_curated.parquet"]').click()]);
    const file = join(tmp, 'ml.parquet');
    await dl.saveAs(file);
    assert.deepEqual(parquetStats(file, 'distanceFromObject'), want);

    const [zdl] = await Promise.all([page.waitForEvent('download'), page.click('#zip')]);
    const zip = join(tmp, 'all.zip');
    await zdl.saveAs(zip);
    const py = `import sys,zipfile,io,json,pyarrow.parquet as pq,pyarrow.compute as pc
z=zipfile.ZipFile(sys.argv[1]); names=set(z.namelist())
t=pq.read_table(io.BytesIO(z.read('curated/machine_learning_curated/part-00000.parquet')))
s=json.loads(z.read('summary.json'))
print(json.dumps({'rows': t.num_rows, 'sum': pc.sum(t['distanceFromObject']).as_py(), 'summary_rows': s['tables']['machine_learning_curated']['rows'],
 'has': sorted(n for n in names if n.endswith('.parquet') or n.startswith('ddl/') or n in ('summary.json','data_quality.json'))}))`;
    const z = JSON.parse(execFileSync('python3', ['-c', py, zip], { encoding: 'utf8' }));
    assert.equal(z.rows, want.rows);
    assert.equal(z.sum, want.sum);
    assert.equal(z.summary_rows, want.rows);
    assert.ok(z.has.includes('data_quality.json') && z.has.includes('ddl/all_tables.sql'));
    assert.equal(z.has.filter((n) => n.endsWith('.parquet')).length, 8);
    await page.context().close();
  });

  test('the AWS Glue job bundle, byte for byte the one `stedi-lake glue` writes', async () => {
    const page = await openPage();
    await page.click('#sample');
    await waitForFiles(page, 5);
    await runMode(page, 'rubric');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#glue')]);
    assert.equal(dl.suggestedFilename(), 'stedi-lake-glue-rubric.zip');
    const zip = join(tmp, 'glue.zip');
    await dl.saveAs(zip);
    const bundle = join(tmp, 'glue-cli');
    execFileSync(CLI, ['glue', '--mode', 'rubric', '--out', bundle, '-q'], { stdio: 'pipe' });
    const py = `import sys, zipfile, pathlib, json
z = zipfile.ZipFile(sys.argv[1]); root = pathlib.Path(sys.argv[2])
cli = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob('*') if p.is_file()}
page = {n: z.read(n) for n in z.namelist()}
print(json.dumps({'files': len(cli), 'same_names': sorted(cli) == sorted(page),
 'differ': [n for n in cli if page.get(n) != cli[n]]}))`;
    const r = JSON.parse(execFileSync('python3', ['-c', py, zip, bundle], { encoding: 'utf8' }));
    assert.ok(r.files >= 14, `${r.files} files`);
    assert.ok(r.same_names);
    assert.deepEqual(r.differ, []);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('running stays responsive, cancel stops', () => {
  const big = join(tmp, 'gen30m');
  before(() => { execFileSync(CLI, ['generate', '--seed', '5', '--size', '30M', '--out', big], { stdio: 'pipe' }); });

  test('the main thread keeps ticking during a run', async () => {
    const page = await openPage();
    await page.setInputFiles('#pick-folder', big);
    await waitForFiles(page, 5);
    await page.evaluate(() => {
      window.gaps = [];
      let last = performance.now();
      window.ticker = setInterval(() => { const now = performance.now(); window.gaps.push(now - last); last = now; }, 10);
    });
    await runMode(page, 'strict');
    const { ticks, maxGap } = await page.evaluate(() => {
      clearInterval(window.ticker);
      return { ticks: window.gaps.length, maxGap: Math.max(...window.gaps) };
    });
    assert.ok(ticks > 20, `timer ticked ${ticks} times`);
    assert.ok(maxGap < 250, `longest main-thread pause ${maxGap.toFixed(0)} ms`);
    assert.deepEqual(await pageCounts(page), expectedCounts(cli(big, 'strict')[0]));
    await page.context().close();
  });

  test('a long file list shows 200 rows per list and the rest on "Show all"; a run still reads every file', async () => {
    const many = oneRecordFiles('many', 230, 205);
    const page = await openPage();
    await page.setInputFiles('#pick-folder', many);
    const [acc, st] = ['.zone[data-source="accelerometer"]', '.zone[data-source="step_trainer"]'];
    await page.waitForFunction((z) => !document.querySelector('#run').disabled && document.querySelectorAll(`${z} li.more`).length === 2, `${acc}, ${st}`);
    const names = (zone) => page.$$eval(`${zone} li[data-file]`, (lis) => lis.map((li) => li.dataset.file));
    const shown = await names(acc);
    assert.equal(shown.length, 200);
    assert.deepEqual(shown, [...shown].sort(), 'rows in path order');
    assert.equal(shown[0], 'many/accelerometer/a-000.json');
    assert.ok(!shown.includes('many/accelerometer/a-229.json'), 'the 230th file is behind "Show all"');
    assert.match(await page.textContent(`${acc} li.more`), /… and 30 more accelerometer files/);
    assert.match(await page.textContent(`${st} li.more`), /… and 5 more step_trainer files/);

    await runMode(page, 'strict');
    const [want] = cli(many, 'strict');
    assert.deepEqual(await pageCounts(page), expectedCounts(want));
    assert.equal(await page.evaluate(() => window.stediLastRun.summary.files.length), 436, 'every file was read, shown or not');
    assert.equal((await names(acc)).length, 200, 'still 200 rows after the run');
    assert.match(await page.textContent(`${acc} li[data-file]`), /1 records/);

    // A file moved into a list that is cut short comes first in it, whatever its path.
    await page.selectOption(`${st} li[data-file="many/step_trainer/s-100.json"] select`, 'accelerometer');
    assert.equal((await names(acc))[0], 'many/step_trainer/s-100.json');
    assert.match(await page.textContent(`${acc} li.more`), /… and 31 more accelerometer files/);

    await page.click(`${acc} li.more button`);
    assert.equal((await names(acc)).length, 231);
    assert.equal(await page.locator(`${acc} li.more`).count(), 0);
    assert.equal(await page.locator(`${st} li.more`).count(), 1, 'the other lists stay short');
    assert.match(await page.textContent(`${acc} li[data-file="many/accelerometer/a-229.json"]`), /1 records/);
    assert.equal(await page.evaluate(() => document.activeElement?.closest('li')?.dataset.file), 'many/accelerometer/a-199.json', 'focus goes on where the list went on');
    // A run collapses the list again (every row in the page is what made runs slow).
    await page.selectOption(`${acc} li[data-file="many/step_trainer/s-100.json"] select`, '');
    await runMode(page, 'strict');
    assert.equal((await names(acc)).length, 200);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a run started while the files are still being sniffed draws the file lists once, when it ends', async () => {
    // 1,200 one-record files: the early sniff (eight files at a time) is still under way at the click.
    const dir = oneRecordFiles('sniffing', 600, 600);
    const page = await openPage();
    await page.setInputFiles('#pick-folder', dir);
    await page.waitForFunction(() => !document.querySelector('#run').disabled);
    const checking = await page.evaluate(() => {
      // Rows added or removed in a file list before the run's end (its "done"), and after it.
      window.listChanges = { during: 0, after: 0 };
      let ended = false;
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === 'attributes') ended ||= r.oldValue === 'running';
          else if (/** @type {Element} */ (r.target).closest?.('.files')) window.listChanges[ended ? 'after' : 'during']++;
        }
      }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
      const n = [...document.querySelectorAll('li[data-file]')].filter((li) => li.textContent.includes('checking…')).length;
      document.body.dataset.state = 'running';
      /** @type {HTMLButtonElement} */ (document.querySelector('#run')).click();
      return n;
    });
    assert.ok(checking > 0, 'the sniff was still under way when Run was clicked');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', await page.textContent('#error'));
    const changes = await page.evaluate(() => window.listChanges);
    assert.equal(changes.during, 0, 'no file list was drawn during the run');
    assert.ok(changes.after > 0, 'the lists were drawn at its end');
    assert.equal(await page.locator('li[data-file]', { hasText: 'checking…' }).count(), 0, 'every file shows its report');
    assert.equal(await page.evaluate(() => window.stediLastRun.summary.files.length), 1201);
    assert.deepEqual(await pageCounts(page), expectedCounts(cli(dir, 'strict')[0]));
    assert.deepEqual(page.errors, []);
    await page.context().close();

    // Cancelled at once: the files whose sniff the run stopped are sniffed again, and none says
    // "checking…" for ever.
    const again = await openPage();
    await again.setInputFiles('#pick-folder', dir);
    await again.waitForFunction(() => !document.querySelector('#run').disabled);
    const stopped = await again.evaluate(() => {
      const n = [...document.querySelectorAll('li[data-file]')].filter((li) => li.textContent.includes('checking…')).length;
      /** @type {HTMLButtonElement} */ (document.querySelector('#run')).click();
      /** @type {HTMLButtonElement} */ (document.querySelector('#cancel')).click();
      return n;
    });
    assert.ok(stopped > 0, 'the sniff was still under way when the run began');
    assert.equal(await again.evaluate(() => document.body.dataset.state), 'cancelled');
    await again.waitForFunction(() => ![...document.querySelectorAll('li[data-file]')].some((li) => li.textContent.includes('checking…')), null, { timeout: 60_000 });
    assert.equal(await again.locator('.zone[data-source="step_trainer"] li[data-file]').count(), 200, 'the step_trainer files listed in their zone');
    assert.match(await again.textContent('#status'), /Cancelled/, 'the re-sniff leaves the status line to the cancel');
    assert.deepEqual(again.errors, []);
    await again.context().close();
  });

  test('a landing set larger than one tab has run is flagged before Run', async (t) => {
    const huge = join(tmp, 'huge');
    for (const s of ['customer', 'accelerometer']) mkdirSync(join(huge, s), { recursive: true });
    writeFileSync(join(huge, 'customer', 'c.json'), '{"customerName":"A","email":"a@x.test","serialNumber":"S1","shareWithResearchAsOfDate":1655564000000}\n');
    // 11 GB that take no disk: a sparse file (never read: the test does not press Run).
    const big = join(huge, 'accelerometer', 'big.json');
    try {
      writeFileSync(big, '');
      try {
        truncateSync(big, 11e9);
      } catch (err) {
        t.skip(`this filesystem cannot hold an 11 GB sparse file (${err.code})`);
        return;
      }
      if (statSync(big).blocks * 512 > 1e6) {
        t.skip('this filesystem does not keep the 11 GB file sparse');
        return;
      }
      const page = await openPage();
      await page.setInputFiles('#pick-folder', huge);
      await page.waitForFunction(() => document.querySelector('.zone[data-source="accelerometer"] li[data-file]') && !document.querySelector('#run').disabled);
      assert.match(await page.textContent('#status'), /11\.00 GB listed: more than the ~10 GB of STEDI landing data one tab has been measured to run .* may stop out of memory; the native CLI has no such limit/);
      await page.click('li[data-file="huge/accelerometer/big.json"] button');
      await page.waitForFunction(() => document.querySelectorAll('li[data-file]').length === 1);
      assert.doesNotMatch(await page.textContent('#status'), /GB listed/);
      assert.deepEqual(page.errors, []);
      await page.context().close();
    } finally {
      rmSync(huge, { recursive: true, force: true });
    }
  });

  test('Cancel stops a run and the page stays usable', async () => {
    const page = await openPage();
    await page.setInputFiles('#pick-folder', big);
    await waitForFiles(page, 5);
    await page.click('#run');
    await page.waitForFunction(() => Number(document.querySelector('#p-read').value) > 0);
    await page.click('#cancel');
    await page.waitForFunction(() => document.body.dataset.state === 'cancelled');
    assert.match(await page.textContent('#status'), /Cancelled/);
    assert.equal(await page.isHidden('#results'), true);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'cancelled', 'no late result after cancel');
    await runMode(page, 'strict');
    assert.deepEqual(await pageCounts(page), expectedCounts(cli(big, 'strict')[0]));
    await page.context().close();
  });
});

describe('routing: one rule, in the engine', () => {
  test('every listed file is routed by the engine as the CLI routes it; only a file the user moved is "given"', async () => {
    const dir = join(tmp, 'routes');
    mkdirSync(join(dir, 'customer'), { recursive: true });
    copyFileSync(join(FIXTURES, 'customer', 'customer-42.json'), join(dir, 'customer', 'customer-42.json')); // by its folder
    copyFileSync(join(FIXTURES, 'accelerometer', 'accelerometer-42-0.json'), join(dir, 'readings.json')); // by its keys
    // 70,000 blank lines, then a reading: the page's 64 KiB sniff sees no record, the engine reads on.
    writeFileSync(join(dir, 'late.json'), `${'\n'.repeat(70_000)}{"user":"late@x.test","timestamp":1655564001000,"x":1.0,"y":0.0,"z":0.0}\n`);
    writeFileSync(join(dir, 'notes.csv'), 'a,b,c\n1,2,3\n'); // no source at all
    const [want] = cli(dir, 'strict');
    // The CLI, against what the files were written to be.
    assert.deepEqual(Object.fromEntries(Object.entries(routes(want)).map(([n, r]) => [n, r.slice(0, 2)])), {
      'routes/customer/customer-42.json': ['customer', 'path'], 'routes/readings.json': ['accelerometer', 'keys'],
      'routes/late.json': ['accelerometer', 'keys'], 'routes/notes.csv': [null, 'none'],
    });

    const page = await openPage();
    await page.setInputFiles('#pick-folder', dir);
    await page.waitForFunction(() => document.querySelectorAll('.zone li').length === 2 && document.querySelectorAll('#unrecognised li').length === 2);
    // Before the run, the sniff's guess: late.json is not routed yet, and it is read all the same.
    assert.deepEqual(await listed(page), {
      customer: ['routes/customer/customer-42.json'], accelerometer: ['routes/readings.json'], step_trainer: [],
      unrecognised: ['routes/late.json', 'routes/notes.csv'],
    });
    assert.equal(await page.$eval('#run', (b) => b.disabled), false);
    await runMode(page, 'strict');
    const got = await lastSummary(page);
    assert.deepEqual(routes(got), routes(want));
    assert.deepEqual(expectedCounts(got), expectedCounts(want));
    assert.equal(got.unrouted.records_read, want.unrouted.records_read);
    // After the run each file is listed where the engine routed it.
    assert.deepEqual(await listed(page), {
      customer: ['routes/customer/customer-42.json'], accelerometer: ['routes/late.json', 'routes/readings.json'], step_trainer: [],
      unrecognised: ['routes/notes.csv'],
    });
    assert.match(await page.textContent('#unrecognised li[data-file="routes/notes.csv"] .reason'), /^not STEDI landing data/);

    // Moved by the user: the run names the source ("given"); the others are still the engine's.
    await page.selectOption('select[aria-label="source of routes/readings.json"]', 'step_trainer');
    await page.selectOption('select[aria-label="source of routes/notes.csv"]', 'customer');
    await runMode(page, 'strict');
    const moved = routes(await lastSummary(page));
    const readings = want.files.find((f) => f.name === 'routes/readings.json');
    assert.deepEqual(moved['routes/readings.json'], ['step_trainer', 'given', 0, readings.records, null], 'readings as step-trainer records: none has its keys');
    assert.deepEqual(moved['routes/notes.csv'].slice(0, 3), ['customer', 'given', 0]);
    for (const name of ['routes/customer/customer-42.json', 'routes/late.json']) assert.deepEqual(moved[name], routes(want)[name], name);
    // "move to…" hands the file back to the engine's routing.
    await page.selectOption('select[aria-label="source of routes/readings.json"]', '');
    await page.selectOption('select[aria-label="source of routes/notes.csv"]', '');
    await runMode(page, 'strict');
    assert.deepEqual(routes(await lastSummary(page)), routes(want));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('choosing a file again', () => {
  test('a file changed on disk since it was chosen is read as it is now when chosen again; an unchanged one is not listed twice', async () => {
    const dir = join(tmp, 'rechoose');
    mkdirSync(join(dir, 'customer'), { recursive: true });
    mkdirSync(join(dir, 'accelerometer'), { recursive: true });
    copyFileSync(join(FIXTURES, 'customer', 'customer-42.json'), join(dir, 'customer', 'customer-42.json'));
    const readings = join(dir, 'accelerometer', 'readings.json');
    const original = readFileSync(join(FIXTURES, 'accelerometer', 'accelerometer-42-0.json'), 'utf8');
    writeFileSync(readings, original);
    const [before] = cli(dir, 'strict');
    const page = await openPage();
    /** Choose the folder and wait until the page has listed this choice (FileList.add is done). */
    const choose = async () => {
      const adds = Number(await page.evaluate(() => document.body.dataset.filesAdded ?? 0));
      await page.setInputFiles('#pick-folder', dir);
      await page.waitForFunction((n) => Number(document.body.dataset.filesAdded ?? 0) > n, adds);
      await waitForFiles(page, 2);
    };
    await choose();
    await runMode(page, 'strict');
    assert.deepEqual(expectedCounts(await lastSummary(page)), expectedCounts(before));
    // The same folder again, unchanged: the same two files, not four.
    await choose();

    // Same size, other content (each reading's user renamed to an unknown one, letter for letter),
    // and a later modification time: the tab's first File can no longer be read.
    const users = [...new Set([...original.matchAll(/"user":"([^"]+)"/g)].map((m) => m[1]))];
    const renamed = original.replace(/"user":"([^"]+)"/g, (_, u) => `"user":"${'z'.repeat(u.length - 7)}@z.test"`);
    assert.equal(renamed.length, original.length);
    assert.ok(users.length > 0 && users.every((u) => u.length > 7), String(users));
    writeFileSync(readings, renamed);
    const later = new Date(statSync(readings).mtimeMs + 5000);
    utimesSync(readings, later, later);
    const [changed] = cli(dir, 'strict');
    assert.notDeepEqual(expectedCounts(changed), expectedCounts(before), 'the change must change what the tables hold');
    await choose();
    await runMode(page, 'strict');
    assert.deepEqual(expectedCounts(await lastSummary(page)), expectedCounts(changed));
    assert.deepEqual(routes(await lastSummary(page)), routes(changed));

    // Grown on disk (another size): chosen again, it is still one file, read whole.
    writeFileSync(readings, `${renamed}${original}`);
    const [grown] = cli(dir, 'strict');
    await choose();
    await runMode(page, 'strict');
    assert.deepEqual(expectedCounts(await lastSummary(page)), expectedCounts(grown));
    assert.deepEqual(routes(await lastSummary(page)), routes(grown));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('bad input gets the promised messages', () => {
  test('a non-JSON file is listed as not STEDI data; a malformed line is quarantined with file and line', async () => {
    const dir = join(tmp, 'bad');
    mkdirSync(join(dir, 'customer'), { recursive: true });
    writeFileSync(join(dir, 'notes.csv'), 'a,b,c\n1,2,3\n');
    writeFileSync(join(dir, 'customer', 'bad.json'),
      '{"customerName":"A","email":"a@x.com","serialNumber":"s1","shareWithResearchAsOfDate":1}\nthis is not json\n');
    const page = await openPage();
    await page.setInputFiles('#pick-files', [join(dir, 'notes.csv')]);
    await page.waitForSelector('#unrecognised:not([hidden]) li');
    assert.match(await page.textContent('#unrecognised'), /Not STEDI landing data/);
    await page.setInputFiles('#pick-folder', dir);
    await page.waitForFunction(() => document.querySelectorAll('.zone li').length === 1);
    await runMode(page, 'strict');
    const q = await page.textContent('[data-quarantine="malformed_json"]');
    assert.match(q, /customer\/bad\.json:2 — malformed json/);
    assert.equal(await page.textContent('[data-testid="count-customer_landing"]'), '1');
    await page.context().close();
  });
});

describe('how it looks', () => {
  test('screenshots at laptop and narrow widths', async () => {
    for (const [name, viewport] of [['laptop', { width: 1366, height: 900 }], ['narrow', { width: 420, height: 900 }]]) {
      const page = await openPage(viewport);
      await page.click('#sample');
      await waitForFiles(page, 5);
      await runMode(page, 'strict');
      // Without a manifest nothing about S3 shows but its panel.
      assert.deepEqual(await page.$$eval('#upload, #phase-upload', (els) => els.map((e) => e.checkVisibility())), [false, false], name);
      await page.click('[data-table="customer_trusted"] > summary');
      await page.waitForSelector('[data-table="customer_trusted"] table.preview');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${name}: page scrolls sideways by ${overflow}px`);
      await page.screenshot({ path: join(ARTIFACTS, `page-${name}.png`), fullPage: true });
      await page.context().close();
    }
  });
});

describe('the page cannot be turned against its user', () => {
  test('strict CSP: no inline script, no eval, no violations during a run', async () => {
    const res = await fetch(base);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
    const page = await openPage();
    await page.evaluate(() => { window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`)); });
    await page.click('#sample');
    await waitForFiles(page, 5);
    await runMode(page, 'strict');
    await page.click('[data-table="customer_trusted"] > summary');
    await page.waitForSelector('[data-table="customer_trusted"] table.preview');
    assert.deepEqual(await page.evaluate(() => window.violations), []);
    await page.context().close();
  });

  test('HTML in the data stays text: an <img onerror> customer name does not run', async () => {
    const dir = join(ROOT, 'fixtures', 'adversarial', 'cases', 'html_in_strings');
    const want = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'adversarial', 'cases.json'), 'utf8')).find((c) => c.name === 'html_in_strings').dq.customer_name;
    const page = await openPage();
    await page.setInputFiles('#pick-folder', dir);
    await waitForFiles(page, 2);
    await runMode(page, 'strict');
    await page.click('[data-table="customer_landing"] > summary');
    const cell = page.locator('[data-table="customer_landing"] table.preview tbody td').first();
    assert.equal(await cell.textContent(), want);
    assert.equal(await page.locator('#tables img, #tables script, #quality img').count(), 0);
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await page.context().close();
  });

  test('a full run contacts only the page\'s own origin', async () => {
    const page = await openPage();
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.click('#sample');
    await waitForFiles(page, 5);
    await runMode(page, 'rubric');
    await page.click('[data-table="machine_learning_curated"] > summary');
    await page.waitForSelector('[data-table="machine_learning_curated"] table.preview');
    const [zdl] = await Promise.all([page.waitForEvent('download'), page.click('#zip')]);
    await zdl.path();
    const origin = new URL(base).origin;
    const foreign = urls.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.ok(urls.length > 5, `${urls.length} requests seen`);
    assert.deepEqual(foreign, []);
    await page.context().close();
  });
});

describe('running out of memory', () => {
  test('a wasm out-of-memory is reported plainly and the page stays usable', async () => {
    const big = join(tmp, 'gen20m-oom');
    execFileSync(CLI, ['generate', '--seed', '9', '--size', '20M', '--out', big], { stdio: 'pipe' });
    // Cap wasm memory at 10 MiB (V8 flag) so a 20 MB landing set cannot fit (the sample data does).
    const small = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--js-flags=--wasm-max-mem-pages=160'] });
    try {
      const page = await (await small.newContext()).newPage();
      await page.goto(base);
      await page.waitForFunction(() => document.body.dataset.state === 'idle');
      await page.setInputFiles('#pick-folder', big);
      await waitForFiles(page, 5);
      await page.click('#run');
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
      assert.match(await page.textContent('#error'), /ran out of memory/);
      for (let n = await page.locator('.zone li button').count(); n > 0; n--) await page.locator('.zone li button').first().click();
      await page.click('#sample');
      await waitForFiles(page, 5);
      await runMode(page, 'strict');
      assert.deepEqual(await pageCounts(page), expectedCounts(cli(FIXTURES, 'strict')[0]));
    } finally {
      await small.close();
    }
  });
});
