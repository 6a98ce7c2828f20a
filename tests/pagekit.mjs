// What every page test starts from: the project's paths, and the page served on 127.0.0.1
// (scripts/serve.mjs, with its CSP) opened by Debian's Chromium (tests/chromium.mjs). Each test
// file calls `startPage()` in its `before` and `stop()` in its `after`; `sameAsCli` compares a page's zip
// with the CLI's files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

export const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
/** The native CLI the page's results are compared with. */
export const CLI = join(ROOT, 'target', 'release', 'stedi-lake');

/**
 * Serve the page and launch Chromium. `cli`: the test also needs the native CLI (checked first, so
 * a missing build fails with what to do). Resolves to {server, browser, base (the page's URL), stop}.
 */
export async function startPage({ cli = true } = {}) {
  if (cli) assert.ok(existsSync(CLI), `${CLI} missing: build it with cargo build --release`);
  assert.ok(existsSync(join(ROOT, 'pkg', 'stedi_lake_bg.wasm')), 'pkg/ missing: run scripts/build-web.sh');
  const server = await startServer(0);
  const base = `http://127.0.0.1:${server.address().port}/web/`;
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  } catch (err) {
    server.close();
    throw err;
  }
  const stop = async () => {
    await browser.close();
    server.close();
  };
  return { server, browser, base, stop };
}

/**
 * The entries of the page's zip at `zip` whose names end with one of `kinds` (or start with it,
 * for a folder such as 'ndjson/'), compared byte for byte by Python with the CLI's files under
 * `out`: {n: entries compared, differ: the names that differ}.
 */
export function sameAsCli(zip, out, kinds) {
  const py = `import sys, zipfile, pathlib, json
z = zipfile.ZipFile(sys.argv[1]); out = pathlib.Path(sys.argv[2]); kinds = json.loads(sys.argv[3])
names = [n for n in z.namelist() if any(n.endswith(k) or (k.endswith('/') and n.startswith(k)) for k in kinds)]
print(json.dumps({'n': len(names), 'differ': [n for n in names if z.read(n) != (out / n).read_bytes()]}))`;
  return JSON.parse(execFileSync('python3', ['-c', py, zip, out, JSON.stringify(kinds)], { encoding: 'utf8' }));
}
