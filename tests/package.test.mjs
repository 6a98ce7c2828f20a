// The built npm package (pkg/, `stedi-lake`, from scripts/build-web.sh) used from Node as the README
// documents it: installed as `stedi-lake` (a link to pkg/, as `npm install ./pkg` makes), the
// README's Node example run as written, `initSync` with the bytes of stedi_lake_bg.wasm. Results
// are checked against the native CLI's files for the same input (summary.json, data_quality.json,
// the NDJSON tables); the TypeScript declarations are type-checked (`tsc --noEmit --strict`) over
// tests/types-check.ts and over real results of every structured binding, so a type that drifts
// from the JSON the core writes fails here. Needs target/release/stedi-lake, pkg/ and `npm ci`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const CLI = join(ROOT, 'target', 'release', 'stedi-lake');
const PKG = join(ROOT, 'pkg');
const FIXTURES = join(ROOT, 'fixtures', 'landing');
const ADVERSARIAL = join(ROOT, 'fixtures', 'adversarial', 'cases');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const MODES = ['strict', 'rubric'];

const tmp = mkdtempSync(join(tmpdir(), 'stedi-package-'));
// A user's project with the package installed under its name.
const APP = join(tmp, 'app');
let Lake;

/** Every file below `dir`, named relative to its parent as the CLI names them (`landing/customer/…`). */
function landingPaths(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dirname(dir), join(e.parentPath, e.name)))
    .sort();
}

/** The native CLI's outputs for `mode`: [summary, data quality, out dir]. */
const cliRuns = new Map();
function cli(mode) {
  if (!cliRuns.has(mode)) {
    const out = join(tmp, `cli-${mode}`);
    execFileSync(CLI, ['run', FIXTURES, '--out', out, '--mode', mode, '--formats', 'parquet,ndjson'], { stdio: 'pipe' });
    const json = (name) => JSON.parse(readFileSync(join(out, name), 'utf8'));
    cliRuns.set(mode, { summary: json('summary.json'), quality: json('data_quality.json'), out });
  }
  return cliRuns.get(mode);
}

/** A lake over the fixtures, each file whole (`addFile`); returns [lake, file reports]. */
function lakeOfWholeFiles(dir = FIXTURES) {
  const lake = new Lake();
  const reports = [];
  for (const { path, skip } of Lake.selectFiles(landingPaths(dir))) {
    if (!skip) reports.push(lake.addFile(path, readFileSync(join(dirname(dir), path))));
  }
  return [lake, reports];
}

/** The same files fed in `chunk`-byte pieces (`openFile`/`feed`/`closeFile`). */
function lakeOfChunks(paths, chunk) {
  const lake = new Lake();
  const reports = [];
  for (const path of paths) {
    const bytes = readFileSync(join(dirname(FIXTURES), path));
    lake.openFile(path);
    for (let at = 0; at < bytes.length; at += chunk) lake.feed(bytes.subarray(at, at + chunk));
    reports.push(lake.closeFile());
  }
  return [lake, reports];
}

before(async () => {
  assert.ok(existsSync(join(PKG, 'package.json')), 'pkg/ is missing: run scripts/build-web.sh');
  assert.ok(existsSync(CLI), 'target/release/stedi-lake is missing: run cargo build --release');
  assert.ok(existsSync(TSC), 'typescript is missing: run npm ci');
  mkdirSync(join(APP, 'node_modules'), { recursive: true });
  symlinkSync(PKG, join(APP, 'node_modules', 'stedi-lake'), 'dir');
  writeFileSync(join(APP, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // The package as Node resolves it by name from the app (through `exports`), set up as documented.
  const require = createRequire(join(APP, 'index.js'));
  const pkg = await import(pathToFileURL(require.resolve('stedi-lake')).href);
  pkg.initSync({ module: readFileSync(require.resolve('stedi-lake/stedi_lake_bg.wasm')) });
  Lake = pkg.Lake;
});

after(() => rmSync(tmp, { recursive: true, force: true }));

describe('the npm package', () => {
  test('package.json carries exports, types, files and a description, and npm packs what they name', () => {
    const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'stedi-lake');
    assert.equal(pkg.type, 'module');
    assert.match(pkg.description, /WebAssembly/);
    assert.equal(pkg.types, 'stedi_lake.d.ts');
    assert.deepEqual(pkg.exports['.'], { types: './stedi_lake.d.ts', default: './stedi_lake.js' });
    assert.equal(pkg.exports['./stedi_lake_bg.wasm'], './stedi_lake_bg.wasm');
    for (const f of ['stedi_lake.js', 'stedi_lake.d.ts', 'stedi_lake_bg.wasm']) assert.ok(pkg.files.includes(f), f);
    // What `npm publish` would ship (no network: a dry run of `npm pack` on the folder).
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', PKG], { cwd: tmp, encoding: 'utf8' }));
    const shipped = packed.files.map((f) => f.path).sort();
    assert.deepEqual(shipped, [...pkg.files, 'package.json'].sort());
    const wasm = packed.files.find((f) => f.path === 'stedi_lake_bg.wasm');
    assert.equal(wasm.size, readFileSync(join(PKG, 'stedi_lake_bg.wasm')).length);
  });

  test("the README's Node example, run as written, prints the CLI's row counts in both modes", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.startsWith('// count.mjs'));
    assert.ok(example, 'README: the ```js block starting with // count.mjs');
    assert.match(example, /initSync\(/);
    writeFileSync(join(APP, 'count.mjs'), example);
    for (const mode of MODES) {
      const run = spawnSync(process.execPath, ['count.mjs', FIXTURES, mode], { cwd: APP, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const printed = Object.fromEntries(run.stdout.trim().split('\n').map((l) => l.split(' ')).map(([t, n]) => [t, Number(n)]));
      const expected = Object.fromEntries(Object.entries(cli(mode).summary.tables).map(([t, { rows }]) => [t, rows]));
      assert.deepEqual(printed, expected, mode);
      assert.ok(expected.machine_learning_curated > 0, mode);
    }
  });

  test('Lake.warmUp runs without throwing, and runs after it give the CLI\'s summary and Parquet bytes', () => {
    const t0 = performance.now();
    Lake.warmUp();
    console.log(`warmUp: ${(performance.now() - t0).toFixed(0)} ms`);
    const [lake] = lakeOfWholeFiles();
    const { summary, out } = cli('strict');
    assert.deepEqual(lake.run('strict'), summary);
    const path = 'typed_landing/accelerometer_landing/part-00000.parquet';
    assert.deepEqual(lake.output(path), new Uint8Array(readFileSync(join(out, path))));
  });

  test('writeOutput hands an NDJSON table over as it is written: the wasm memory does not grow by the table', () => {
    // 2 million readings fed 40,000 lines at a time (the input never whole in wasm memory): their
    // NDJSON (~150 MB) is larger than the whole wasm memory after the run, so held there it would
    // grow it. Its pieces, joined, are the bytes `output` gives.
    const lake = new Lake();
    lake.openFile('landing/accelerometer/many.json');
    const enc = new TextEncoder();
    let lines = [];
    for (let i = 0; i < 2_000_000; i++) {
      lines.push(`{"user":"u${i % 1000}@x.test","timestamp":${1655564000000 + i},"x":${(i % 7) / 8},"y":-1.0,"z":0.5}`);
      if (lines.length === 40_000) { lake.feed(enc.encode(`${lines.join('\n')}\n`)); lines = []; }
    }
    lake.closeFile();
    lake.run('strict');
    const before = Lake.memoryBytes();
    const path = 'ndjson/typed_landing/accelerometer_landing/part-00000.json';
    const pieces = [];
    const handed = lake.writeOutput(path, (piece) => {
      assert.ok(piece.length <= 1 << 20, `a piece of ${piece.length} bytes`);
      pieces.push(piece); // a Uint8Array of its own (copied out of wasm memory by the binding)
    });
    const grown = Lake.memoryBytes() - before;
    const bytes = Buffer.concat(pieces);
    assert.equal(handed, bytes.length);
    assert.ok(bytes.length > before + 32e6, `the table (${bytes.length} bytes) must be larger than the wasm memory (${before}) for this test to tell`);
    assert.ok(pieces.length > 100);
    assert.ok(grown < 8e6, `the wasm memory grew by ${grown} bytes writing ${bytes.length} bytes of NDJSON`);
    assert.ok(bytes.equals(lake.output(path)), 'the pieces joined are the table');
    lake.free();
  });

  for (const mode of MODES) {
    test(`${mode}: whole files, chunks and handed-over shares give the CLI's summary, quality report and rows`, () => {
      const { summary, quality, out } = cli(mode);
      const [whole, wholeReports] = lakeOfWholeFiles();
      assert.deepEqual(whole.run(mode), summary);
      assert.deepEqual(whole.summary(), summary);
      assert.deepEqual(whole.quality(), quality);
      assert.deepEqual(wholeReports, summary.files);
      assert.ok(summary.accounted && summary.covered);

      const paths = summary.files.map((f) => f.name);
      const [chunked, chunkReports] = lakeOfChunks(paths, 4096);
      assert.deepEqual(chunkReports, summary.files);
      assert.deepEqual(chunked.run(mode), summary);

      // Two decode workers' shares, joined in file order (exportIngest / appendExported).
      const half = Math.ceil(paths.length / 2);
      const [first] = lakeOfChunks(paths.slice(0, half), 1 << 16);
      const [second] = lakeOfChunks(paths.slice(half), 1 << 16);
      first.appendExported(second.exportIngest());
      assert.deepEqual(first.run(mode), summary);

      // Rows: the CLI's NDJSON tables, row for row.
      for (const [table, t] of Object.entries(summary.tables)) {
        const ndjson = readFileSync(join(out, t.paths.ndjson), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        assert.equal(ndjson.length, t.rows, table);
        assert.deepEqual(whole.rows(table, 0, t.rows + 10), ndjson, table);
        assert.deepEqual(whole.rows(table, 1, 2), ndjson.slice(1, 3), table);
      }
      // Parquet: the bytes the CLI wrote.
      const parquet = summary.tables.machine_learning_curated.paths.parquet;
      assert.deepEqual(Buffer.from(whole.output(parquet)), readFileSync(join(out, parquet)));
      for (const lake of [whole, chunked, first, second]) lake.free();
    });
  }

  test('errors are Errors with the CLI messages', () => {
    const lake = new Lake();
    assert.throws(() => lake.summary(), { name: 'Error', message: /run the pipeline first/ });
    assert.throws(() => lake.closeFile(), { name: 'Error', message: /no file is open/ });
    assert.throws(() => lake.addFile('c.json', new Uint8Array(), 'customers'), { name: 'Error', message: /unknown source 'customers'/ });
    assert.throws(() => lake.run('fast'), { name: 'Error', message: /unknown mode 'fast'/ });
    assert.throws(() => Lake.parseManifest('{}'), { name: 'Error', message: /not a stedi-lake manifest/ });
    assert.throws(() => Lake.uploadPlan('{"path": "summary.json"}', 1), { name: 'Error', message: /uploadPlan expects an entry of the manifest's outputs/ });
    const [ran] = lakeOfWholeFiles();
    ran.run('strict');
    assert.throws(() => ran.rows('customers', 0, 1), { name: 'Error', message: /no table named 'customers'/ });
    lake.free();
    ran.free();
  });

  test('the declarations type-check (tsc --strict) over tests/types-check.ts and over real results of every binding', () => {
    const decl = (name, type, value) => `export const ${name}: ${type} = ${JSON.stringify(value)};`;
    const lines = [
      'import type { CustomerSeries, FileReport, FileSelection, MachineLearningRubricRow, MachineLearningStrictRow, Manifest,',
      "  QualityReport, Sniff, Summary, TableRow } from 'stedi-lake';",
    ];
    for (const mode of MODES) {
      const [lake, reports] = lakeOfWholeFiles();
      const summary = lake.run(mode);
      lines.push(decl(`${mode}Summary`, 'Summary', summary), decl(`${mode}Quality`, 'QualityReport', lake.quality()));
      lines.push(decl(`${mode}Reports`, 'FileReport[]', reports));
      lines.push(decl(`${mode}Chunked`, 'FileReport[]', lakeOfChunks(summary.files.map((f) => f.name), 1000)[1]));
      for (const table of Object.keys(summary.tables)) {
        const type = table !== 'machine_learning_curated' ? `TableRow['${table}'][]`
          : mode === 'strict' ? 'MachineLearningStrictRow[]' : 'MachineLearningRubricRow[]';
        lines.push(decl(`${mode}_${table}`, type, lake.rows(table, 0, 100)));
      }
      const emails = lake.curatedEmails();
      assert.ok(emails.length > 0 && emails.every((e) => typeof e === 'string'));
      const series = lake.customerSeries(emails[0]);
      assert.ok(series.accelerometer.length > 0 && series.step_trainer.length > 0, emails[0]);
      lines.push(decl(`${mode}Emails`, 'string[]', emails), decl(`${mode}Series`, 'CustomerSeries', series));
      lines.push(decl(`${mode}NoSeries`, 'CustomerSeries', lake.customerSeries('nobody@example.com')));
      if (mode === 'strict') {
        // Negative controls: a key the type lacks (at the top and nested) and a missing key fail.
        const files = [{ ...summary.files[0], surplus: 1 }, ...summary.files.slice(1)];
        const { covered, ...uncovered } = summary;
        lines.push('// @ts-expect-error: a key Summary does not declare', decl('extraKey', 'Summary', { ...summary, surplus: 1 }));
        lines.push('// @ts-expect-error: a key FileReport does not declare', decl('extraNested', 'Summary', { ...summary, files }));
        lines.push('// @ts-expect-error: a key Summary requires', decl('missingKey', 'Summary', uncovered));
        assert.equal(covered, true);
      }
      lake.free();
    }

    // Hostile input (fixtures/adversarial): rejected files, unrouted records, UTF-16, every reason.
    const [adversarial, adversarialReports] = lakeOfWholeFiles(ADVERSARIAL);
    const advSummary = adversarial.run('strict');
    const advQuality = adversarial.quality();
    lines.push(decl('adversarialSummary', 'Summary', advSummary), decl('adversarialQuality', 'QualityReport', advQuality));
    lines.push(decl('adversarialReports', 'FileReport[]', adversarialReports));
    assert.ok(advQuality.quarantined.rejected_files.length > 0 && advSummary.unrouted.records_read > 0);
    assert.ok(advSummary.files.some((f) => f.encoding === 'utf-16le') && advSummary.files.some((f) => f.error !== null));
    adversarial.free();

    // Listing: every skip kind, sniffing by path, keys and none.
    const selection = Lake.selectFiles(['stedi/landing/customer/c.json', 'stedi/landing/.DS_Store', 'stedi/landing/_SUCCESS',
      'stedi/notes.txt', 'stedi/trusted/customer_trusted/part-00000.parquet']);
    assert.deepEqual(selection.map((s) => s.skip?.kind ?? null), [null, 'hidden', 'bookkeeping', 'outside_landing', 'engine_output']);
    lines.push(decl('selection', 'FileSelection[]', selection));
    const sniffs = [
      Lake.sniff('landing/customer/c.json', new Uint8Array()),
      Lake.sniff('c.json', new TextEncoder().encode('{"user":"u@x","timestamp":1655560000000,"x":1,"y":2,"z":3}\n{')),
      Lake.sniff('c.csv', new TextEncoder().encode('a,b\n1,2\n')),
    ];
    assert.deepEqual(sniffs, [{ source: 'customer', by: 'path' }, { source: 'accelerometer', by: 'keys' }, { source: null, by: 'none' }]);
    lines.push(decl('sniffs', 'Sniff[]', sniffs));

    // The manifest of docs/manifest.md, signed with placeholder URLs, through parseManifest.
    const doc = readFileSync(join(ROOT, 'docs', 'manifest.md'), 'utf8').match(/```jsonc\n([\s\S]*?)```/)[1];
    const m = JSON.parse(doc.replace(/\s\/\/\s.*$/gm, ''));
    const url = (key) => `https://lake.s3.us-east-1.amazonaws.com/${key}?X-Amz-Signature=0`;
    for (const o of m.landing) o.get = url(o.key);
    for (const o of m.outputs) {
      o.put = url(o.key);
      if (o.multipart) Object.assign(o.multipart, { parts: o.multipart.parts.map(() => url(o.key)), complete: url(o.key), abort: url(o.key) });
      for (const s of o.stale ?? []) s.delete = url(s.key);
    }
    const manifest = Lake.parseManifest(JSON.stringify(m));
    assert.deepEqual(manifest, m);
    assert.ok(manifest.outputs[0].multipart && manifest.outputs[0].stale.length > 0);
    const { part_size: partSize, parts } = manifest.outputs[0].multipart;
    assert.equal(Lake.uploadPlan(manifest.outputs[0], partSize + 1), 2);
    assert.equal(Lake.uploadPlan(manifest.outputs[0], 1024), 0);
    assert.equal(Lake.uploadPlan(manifest.outputs[0], partSize * parts.length + 1), 0); // past the parts: one PUT
    lines.push(decl('manifest', 'Manifest', manifest));

    const dir = join(tmp, 'types');
    mkdirSync(dir);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(PKG, join(dir, 'node_modules', 'stedi-lake'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    copyFileSync(join(ROOT, 'tests', 'types-check.ts'), join(dir, 'types-check.ts'));
    writeFileSync(join(dir, 'results.ts'), lines.join('\n') + '\n');
    // Node (nodenext) and bundler module resolution; `esnext.disposable` for `[Symbol.dispose]`.
    for (const resolution of [['--module', 'nodenext'], ['--module', 'esnext', '--moduleResolution', 'bundler']]) {
      const args = [TSC, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,esnext.disposable,dom',
        ...resolution, 'types-check.ts', 'results.ts'];
      const run = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
      assert.equal(run.status, 0, `tsc ${resolution.join(' ')}:\n${run.stdout}${run.stderr}`);
    }
  });
});
