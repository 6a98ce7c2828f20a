// The page: collects landing files (drop, pickers, sample), hands them to the engine worker, and
// shows the zones, the lineage, the tables, the data-quality report and a chart. All data values
// are rendered as text (textContent), never as HTML.
import uPlot from './vendor/uPlot.esm.js';

const SOURCES = ['customer', 'accelerometer', 'step_trainer'];
const TABLES = [
  ['customer_landing', 'landing'], ['accelerometer_landing', 'landing'], ['step_trainer_landing', 'landing'],
  ['customer_trusted', 'trusted'], ['accelerometer_trusted', 'trusted'], ['step_trainer_trusted', 'trusted'],
  ['customers_curated', 'curated'], ['machine_learning_curated', 'curated'],
];
const PAGE = 20;
const $ = (sel) => document.querySelector(sel);

/** Build an element; string children become text nodes (never parsed as HTML). */
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}
const sizeOf = (f) => (f.file ? f.file.size : f.size);
const fmt = (n) => Number(n).toLocaleString('en-US');
const mb = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1e3))} KB`);

// ---------------------------------------------------------------- worker plumbing

let worker;
let nextId = 1;
const pending = new Map(); // id → {resolve, reject, onProgress}

function startWorker() {
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    if (!p) return;
    if (data.type === 'progress' || data.type === 'file') return p.onEvent?.(data);
    pending.delete(data.id);
    if (data.type === 'error') {
      if (data.fatal) restartWorker();
      p.reject(Object.assign(new Error(data.message), { fatal: data.fatal }));
    } else p.resolve(data);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    failAll(`The engine's worker crashed (${e.message || 'no details'}). Your files are still listed: press Run to try again.`);
    restartWorker();
  };
}
function restartWorker() {
  worker?.terminate();
  startWorker();
}
function failAll(message) {
  for (const [, p] of pending) p.reject(new Error(message));
  pending.clear();
}
function ask(type, payload = {}, onEvent) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onEvent });
    worker.postMessage({ type, id, ...payload });
  });
}

// ---------------------------------------------------------------- landing files

const files = new Map(); // key → {key, name, file, source, by, report}
const skippedFiles = new Map(); // name → {name, size, kind, reason}: never sent to a run
let fileSeq = 0;

/**
 * Add files by their relative paths (`name`: the dropped or picked folder's name first). Which
 * are landing data is the core's one rule (`Lake.selectFiles`, as for the CLI and presign): the
 * others are listed with the reason and never read.
 */
async function addFiles(list) {
  if (!list.length) return;
  const { results } = await ask('select', { paths: list.map((f) => f.name) });
  const chosen = [];
  list.forEach((f, i) => {
    const skip = results[i]?.skip ?? (f.folder ? { kind: 'hidden', reason: 'a folder that is not read' } : null);
    if (skip) skippedFiles.set(f.name, { name: f.name, size: f.file?.size ?? null, kind: skip.kind, reason: skip.reason });
    else { skippedFiles.delete(f.name); chosen.push(f); }
  });
  const added = [];
  for (const { name, file } of chosen) {
    if ([...files.values()].some((f) => f.name === name && sizeOf(f) === file.size)) continue; // same file twice
    const key = `f${fileSeq++}`;
    const entry = { key, name, file, source: null, by: 'pending', report: null };
    files.set(key, entry);
    added.push(entry);
  }
  filesChanged();
  if (!added.length) return;
  const { results: sniffed } = await ask('sniff', { files: added.map(({ key, name, file }) => ({ key, name, file })) });
  for (const r of sniffed) {
    const f = files.get(r.key);
    if (f) Object.assign(f, { source: r.source, by: r.by });
  }
  filesChanged();
}

function renderFiles() {
  for (const zone of document.querySelectorAll('.zone')) zone.querySelector('.files').replaceChildren();
  const unrec = $('#unrecognised .files');
  unrec.replaceChildren();
  for (const f of files.values()) {
    const move = h('select', { 'aria-label': `source of ${f.name}`, onchange: (e) => { f.source = e.target.value || null; f.by = 'given'; f.report = null; filesChanged(); } },
      h('option', { value: '' }, 'move to…'), SOURCES.map((s) => h('option', { value: s, selected: s === f.source }, s)));
    const remove = h('button', { class: 'small', title: `remove ${f.name}`, 'aria-label': `remove ${f.name}`, onclick: () => { files.delete(f.key); filesChanged(); } }, '✕');
    const records = f.report ? ` · ${fmt(f.report.kept)} records${f.report.quarantined ? ` · ${fmt(f.report.quarantined)} quarantined` : ''}` : '';
    const li = h('li', { 'data-file': f.name }, h('span', { class: 'name', title: f.name }, f.name), h('span', { class: 'meta' }, (f.remote !== undefined ? 'S3 · ' : '') + mb(sizeOf(f)) + records), move, remove);
    if (f.source) document.querySelector(`.zone[data-source="${f.source}"] .files`).append(li);
    else {
      const why = f.by === 'pending' ? 'checking…' : f.report?.error ?? (f.remote !== undefined ? 'S3 object: routed by its records’ keys when it is read.' : null) ?? 'Not STEDI landing data: neither the folder/file name nor the first records’ keys match customer, accelerometer or step_trainer. Move it to a source if it is one, or remove it.';
      li.append(h('div', { class: 'reason' }, why));
      unrec.append(li);
    }
  }
  $('#unrecognised').hidden = !unrec.children.length;
  renderSkipped();
  $('#run').disabled = running || !runnable().length;
}

/** Files the landing rule left out, each with its reason (names as text, like every file name). */
function renderSkipped() {
  const box = $('#skipped');
  box.hidden = !skippedFiles.size;
  $('#skipped-count').textContent = `${fmt(skippedFiles.size)} file(s) not read: not landing data`;
  $('#skipped .files').replaceChildren(...[...skippedFiles.values()].map((f) => h('li', { 'data-skipped': f.name, 'data-kind': f.kind },
    h('span', { class: 'name', title: f.name }, f.name), h('span', { class: 'meta' }, f.size === null ? 'folder' : mb(f.size)),
    h('div', { class: 'reason' }, f.reason))));
}

/** Files a run reads: routed local files, and every S3 object (unrouted ones are routed by keys). */
function runnable() {
  return [...files.values()].filter((f) => f.source || f.remote !== undefined);
}

/** After the file list changed (not after a run): say what is ready. */
function filesChanged() {
  renderFiles();
  const routed = runnable().length;
  const notRead = skippedFiles.size ? ` ${skippedFiles.size} file(s) not read (listed with the reason).` : '';
  if (!running) setStatus((files.size ? `${files.size} file(s) ready, ${routed} routed to a source.` : 'Add landing files to begin.') + notRead);
}

/**
 * Walk a dropped item: files and (recursively) directories, via the entries API. A hidden folder
 * (`.git`, `.cache`) is not entered: it comes back once, as `{name: 'path/', folder: true}`, and the
 * landing rule lists it as skipped (every file below it would be).
 */
async function walkEntry(entry, prefix = '') {
  if (entry.isFile) {
    const file = await new Promise((ok, bad) => entry.file(ok, bad));
    return [{ name: prefix + entry.name, file }];
  }
  if (entry.isDirectory && entry.name.startsWith('.')) return [{ name: `${prefix}${entry.name}/`, folder: true }];
  if (entry.isDirectory) {
    const reader = entry.createReader();
    const out = [];
    for (;;) {
      const batch = await new Promise((ok, bad) => reader.readEntries(ok, bad));
      if (!batch.length) break;
      for (const child of batch) out.push(...(await walkEntry(child, `${prefix}${entry.name}/`)));
    }
    return out;
  }
  return [];
}

async function onDrop(e) {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const dt = e.dataTransfer;
  const entries = [...(dt.items ?? [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  const list = entries.length
    ? (await Promise.all(entries.map((en) => walkEntry(en)))).flat()
    : [...dt.files].map((file) => ({ name: file.name, file }));
  await addFiles(list);
}

async function loadSample() {
  setStatus('Loading the sample data…');
  const paths = await (await fetch('sample-files.json')).json();
  const list = await Promise.all(paths.map(async (p) => {
    const blob = await (await fetch(`../fixtures/${p}`)).blob();
    return { name: p, file: new File([blob], p.split('/').pop(), { type: 'application/json' }) };
  }));
  await addFiles(list);
}

// ---------------------------------------------------------------- running

let running = false;
let result = null;
let currentRun = null;

function setStatus(text) { $('#status').textContent = text; }
function showError(text) { const e = $('#error'); e.textContent = text; e.hidden = !text; }
function setPhase(name, value, max, text) {
  const p = $(`#p-${name}`);
  p.max = max || 1; p.value = value;
  $(`#p-${name}-text`).textContent = text ?? '';
}

async function run() {
  const mode = document.querySelector('input[name="mode"]:checked').value;
  const list = runnable();
  running = true;
  result = null;
  showError('');
  $('#results').hidden = true;
  $('#run').disabled = true;
  $('#cancel').disabled = false;
  for (const p of ['read', 'parse', 'join', 'write', 'upload']) setPhase(p, 0, 1, '');
  $('#upload-report').hidden = true;
  setStatus(`Running ${mode}…`);
  const byName = new Map(list.map((f) => [f.name, f]));
  const t0 = performance.now();
  try {
    const s3Location = s3Info?.location;
    // ?decoders=N sets how many workers decode (tests and benchmarks); by default the worker decides.
    const decoders = Number(new URLSearchParams(location.search).get('decoders')) || undefined;
    currentRun = ask('run', { mode, location: s3Location, decoders, files: list.map(({ name, file, source, remote }) => ({ name, file, source, remote })) }, (ev) => {
      if (ev.type === 'file') {
        const f = byName.get(ev.report.name);
        if (f) f.report = ev.report;
      } else if (ev.phase === 'read') setPhase('read', ev.done, ev.total, `${mb(ev.done)} of ${mb(ev.total)}`);
      else if (ev.phase === 'parse') setPhase('parse', ev.done, ev.total, `${mb(ev.done)} · ${ev.mbps.toFixed(0)} MB/s`);
      else if (ev.phase === 'join') setPhase('join', ev.done, ev.total, ev.done ? 'done' : 'applying the rules…');
      else if (ev.phase === 'write') setPhase('write', ev.done, ev.total, `${ev.done} of ${ev.total} tables`);
    });
    result = await currentRun;
    result.mode = mode;
    window.stediLastRun = { timings: result.timings, memoryBytes: result.memoryBytes, summary: result.summary }; // for scripts, tests and the benchmark
    $('#upload').hidden = !s3Info;
    const secs = (performance.now() - t0) / 1000;
    renderFiles();
    renderResults();
    setStatus(`Done in ${secs.toFixed(2)} s (${mode}): ${mb(result.timings.bytes)} read at ${(result.timings.bytes / 1e6 / Math.max(result.timings.read_s, 1e-3)).toFixed(0)} MB/s, wasm memory ${mb(result.memoryBytes)}.`);
    document.body.dataset.state = 'done';
  } catch (err) {
    if (err.cancelled) return;
    showError(err.message);
    setStatus('The run did not finish.');
    document.body.dataset.state = 'error';
  } finally {
    running = false;
    currentRun = null;
    $('#cancel').disabled = true;
    renderFiles();
  }
}

function cancel() {
  if (!running) return;
  // Terminating the worker is what really stops wasm mid-computation; a fresh one takes its place.
  for (const [, p] of pending) p.reject(Object.assign(new Error('cancelled'), { cancelled: true }));
  pending.clear();
  restartWorker();
  running = false;
  for (const p of ['read', 'parse', 'join', 'write']) setPhase(p, 0, 1, '');
  $('#cancel').disabled = true;
  renderFiles();
  setStatus('Cancelled: the run was stopped and nothing from it was kept. Your files are still listed.');
  document.body.dataset.state = 'cancelled';
}

// ---------------------------------------------------------------- results

function renderResults() {
  const { summary } = result;
  $('#results').hidden = false;
  renderLineage(summary);
  renderTables(summary);
  renderQuality(result.quality, summary);
  renderChartControls();
}

function tableBox(name, zone, rows) {
  return h('div', { class: `lin-table ${zone}` }, h('div', {}, name), h('div', { class: 'n' }, fmt(rows)));
}
function flowBox(flow) {
  return h('div', { class: 'lin-arrow' }, h('b', {}, `${flow.from} → ${flow.table}`),
    flow.rules.map((r) => h('div', { class: 'rule', title: r.why },
      h('span', { class: 'why' }, r.rule.replaceAll('_', ' ')),
      h('span', { class: 'num' }, [r.removed ? `−${fmt(r.removed)}` : '', r.added ? ` +${fmt(r.added)}` : '', !r.removed && !r.added ? '0' : ''].join('')))));
}
function renderLineage(summary) {
  const t = summary.tables;
  const flows = Object.fromEntries(summary.rules.map((f) => [f.table, f]));
  const col = (title, ...items) => h('div', { class: 'lin-col' }, h('h3', {}, title), ...items);
  $('#lineage').replaceChildren(
    col('landing', ...['customer_landing', 'accelerometer_landing', 'step_trainer_landing'].map((n) => tableBox(n, 'landing', t[n].rows))),
    col('rules', ...['customer_trusted', 'accelerometer_trusted', 'step_trainer_trusted'].map((n) => flowBox(flows[n]))),
    col('trusted', ...['customer_trusted', 'accelerometer_trusted', 'step_trainer_trusted'].map((n) => tableBox(n, 'trusted', t[n].rows))),
    col('rules', ...['customers_curated', 'machine_learning_curated'].map((n) => flowBox(flows[n]))),
    col('curated', ...['customers_curated', 'machine_learning_curated'].map((n) => tableBox(n, 'curated', t[n].rows))),
  );
}

async function download(path, filename) {
  try {
    const { bytes, contentType } = await ask('output', { path });
    save(new Blob([bytes], { type: contentType }), filename);
  } catch (err) { showError(`Could not prepare ${filename}: ${err.message}`); }
}
function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function renderTables(summary) {
  const cards = TABLES.map(([name, zone]) => {
    const info = summary.tables[name];
    const body = h('div', {});
    const card = h('details', { class: 'table-card', 'data-table': name },
      h('summary', {},
        h('span', { class: 'tname' }, name), h('span', { class: `badge ${zone}` }, zone),
        h('span', { class: 'count', 'data-testid': `count-${name}` }, String(info.rows)), h('span', { class: 'muted' }, 'rows'),
        h('span', { class: 'spacer' }),
        h('button', { class: 'small', 'data-download': `${name}.parquet`, onclick: (e) => { e.preventDefault(); download(summary.tables[name].paths.parquet, `${name}.parquet`); } }, 'Parquet'),
        h('button', { class: 'small', 'data-download': `${name}.json`, onclick: (e) => { e.preventDefault(); download(summary.tables[name].paths.ndjson, `${name}.json`); } }, 'NDJSON'),
        h('button', { class: 'small', 'data-download': `${name}.sql`, onclick: (e) => { e.preventDefault(); download(summary.tables[name].paths.ddl, `${name}.sql`); } }, 'DDL')),
      body);
    let offset = 0;
    const show = async () => {
      const { rows } = await ask('rows', { table: name, offset, limit: PAGE });
      const cols = info.columns;
      const table = h('table', { class: 'preview' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c)))),
        h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c) => (r[c] === null ? h('td', { class: 'null' }, 'null') : h('td', { title: String(r[c]) }, String(r[c]))))))));
      const pager = h('div', { class: 'pager' },
        h('button', { class: 'small', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); show(); } }, '‹ Prev'),
        h('span', {}, info.rows ? `rows ${fmt(offset + 1)}–${fmt(Math.min(offset + PAGE, info.rows))} of ${fmt(info.rows)}` : 'no rows'),
        h('button', { class: 'small', disabled: offset + PAGE >= info.rows, onclick: () => { offset += PAGE; show(); } }, 'Next ›'));
      body.replaceChildren(h('div', { class: 'schema' }, 'Schema: ', cols.map((c) => h('code', {}, c))), h('div', { class: 'preview-wrap' }, table), pager);
    };
    card.addEventListener('toggle', () => { if (card.open && !body.children.length) show(); });
    return card;
  });
  $('#tables').replaceChildren(...cards);
}

function renderQuality(q, summary) {
  const box = (title, big, ...rest) => h('div', { class: 'dq' }, h('h3', {}, title), h('div', { class: 'big' }, big), ...rest);
  const list = (items, render) => (items.length ? h('ul', {}, items.map(render)) : h('div', { class: 'muted' }, 'none'));
  const bySource = Object.entries(q.quarantined.by_source).flatMap(([s, reasons]) => Object.entries(reasons).map(([r, n]) => `${s}: ${n} ${r.replaceAll('_', ' ')}`));
  const sources = Object.entries(summary.sources).map(([s, c]) => `${s}: ${fmt(c.records_read)} read = ${fmt(c.kept)} kept + ${fmt(c.quarantined_total)} quarantined`);
  $('#quality').replaceChildren(
    box('Quarantined records', fmt(q.quarantined.total), h('div', { class: 'muted' }, bySource.join(' · ') || 'every record decoded'),
      list(q.quarantined.records.slice(0, 200), (r) => h('li', { 'data-quarantine': r.reason }, `${r.file}:${r.line} — ${r.reason.replaceAll('_', ' ')}: ${r.detail} `, h('span', { class: 'raw' }, r.raw.length > 120 ? `${r.raw.slice(0, 120)}…` : r.raw))),
      q.quarantined.rejected_files.length ? h('div', {}, h('b', {}, 'Files rejected: '), q.quarantined.rejected_files.map((f) => `${f.file} (${f.error})`).join('; ')) : null),
    box('Records accounted for', summary.accounted ? 'all' : 'NO', h('ul', {}, sources.map((s) => h('li', {}, s)))),
    box('Bytes accounted for', summary.covered ? 'all' : 'NO', h('ul', {}, [h('li', {}, 'every byte of every file is in a kept record, a quarantined record, or framing (blanks, brackets, separators)')])),
    box('Serial numbers shared by several customers', fmt(q.shared_serials.serials), h('div', { class: 'muted' }, `${fmt(q.shared_serials.customers)} customers involved`),
      list(q.shared_serials.list, (s) => h('li', {}, `${s.serial_number}: ${s.emails.join(', ')}`))),
    box('Emails with several customer rows', fmt(q.duplicate_emails.emails), h('div', { class: 'muted' }, `${fmt(q.duplicate_emails.with_conflicting_consent)} with conflicting research consent`),
      list(q.duplicate_emails.list, (d) => h('li', {}, `${d.email}: ${d.rows} rows${d.conflicting_consent ? ' — consent conflicts' : ''}`))),
    box('Exact duplicate readings', fmt(q.exact_duplicates.accelerometer + q.exact_duplicates.step_trainer), h('div', { class: 'muted' }, `accelerometer ${fmt(q.exact_duplicates.accelerometer)} · step trainer ${fmt(q.exact_duplicates.step_trainer)}`)),
    box('Readings before consent', fmt(q.readings_before_consent.accelerometer + q.readings_before_consent.step_trainer), h('div', { class: 'muted' }, `accelerometer ${fmt(q.readings_before_consent.accelerometer)} · step trainer ${fmt(q.readings_before_consent.step_trainer)}`)),
    box('Step readings without a known owner', fmt(q.readings_without_owner.no_owner + q.readings_without_owner.ambiguous_owner), h('div', { class: 'muted' }, `no owner ${fmt(q.readings_without_owner.no_owner)} · ambiguous ${fmt(q.readings_without_owner.ambiguous_owner)} · readings of unknown users ${fmt(q.accelerometer_unknown_user)}`)),
    box('Research consent that is not a date', fmt(q.consent_not_a_date.rows), h('div', { class: 'muted' }, `≤ 0 or in seconds: not consent in strict mode (${fmt(q.consent_not_a_date.customers_not_trusted_in_strict)} customers not trusted)`),
      list(q.consent_not_a_date.list.slice(0, 50), (c) => h('li', {}, `${c.email}: ${c.share_with_research_as_of_date}${c.latest_row ? ' (latest row)' : ''}`))),
    box('Step readings that disagree', fmt(q.conflicting_step_readings.instants), h('div', { class: 'muted' }, 'one device, one instant, different distances (kept)'),
      list(q.conflicting_step_readings.examples, (c) => h('li', {}, `${c.serial_number} at ${c.sensor_reading_time}: ${c.distances.map((d) => d ?? 'null').join(' / ')}`))),
    box('Keys no source defines', fmt(q.schema_drift.length), h('div', { class: 'muted' }, 'schema drift: the records are kept; these values are in no table'),
      list(q.schema_drift.slice(0, 50), (k) => h('li', { 'data-drift': k.key }, `${k.source}.${k.key}: ${fmt(k.count)} records, first ${k.first_file}:${k.first_line}`))),
  );
}

let chart = null;
function renderChartControls() {
  const select = $('#customer');
  select.replaceChildren(...result.emails.slice(0, 2000).map((e) => h('option', { value: e }, e)));
  if (result.emails.length) drawChart(result.emails[0]);
  else { chart?.destroy(); chart = null; $('#chart').replaceChildren(h('div', { class: 'muted' }, 'No curated customers.')); }
}
async function drawChart(email) {
  const { series } = await ask('series', { email });
  const times = [...new Set([...series.accelerometer.map((r) => r[0]), ...series.step_trainer.map((r) => r[0])])].sort((a, b) => a - b);
  const idx = new Map(times.map((t, i) => [t, i]));
  const col = () => new Array(times.length).fill(null);
  const [x, y, z, d] = [col(), col(), col(), col()];
  for (const [t, ax, ay, az] of series.accelerometer) { const i = idx.get(t); x[i] = ax; y[i] = ay; z[i] = az; }
  for (const [t, dist] of series.step_trainer) d[idx.get(t)] = dist;
  const el = $('#chart');
  chart?.destroy();
  el.replaceChildren();
  const width = Math.max(320, el.clientWidth - 20);
  chart = new uPlot({
    width, height: 280,
    scales: { x: { time: true }, dist: {} },
    series: [{}, { label: 'x', stroke: '#2f6fed', spanGaps: true }, { label: 'y', stroke: '#2f7d4f', spanGaps: true }, { label: 'z', stroke: '#b54708', spanGaps: true },
      { label: 'distance', stroke: '#6a3fb5', scale: 'dist', spanGaps: true, width: 2 }],
    axes: [{}, { label: 'acceleration' }, { side: 1, scale: 'dist', label: 'distance', grid: { show: false } }],
  }, [times.map((t) => t / 1000), x, y, z, d], el);
}

// ---------------------------------------------------------------- S3 (presigned manifest)

let s3Info = null; // the worker's redacted view of the manifest: keys, sizes, expiry; no URLs

/** Load a manifest (text or URL) into the worker and list its landing objects in the zones. */
async function loadManifest(payload) {
  setStatus('Reading the manifest…');
  const { info } = await ask('manifest', payload);
  $('#manifest-text').value = ''; // the pasted links are in the worker now; keep none in the page
  s3Info = info;
  for (const [k, f] of files) if (f.remote !== undefined) files.delete(k);
  for (const o of info.landing) {
    files.set(`s3-${o.index}`, { key: `s3-${o.index}`, name: o.key, size: o.size, remote: o.index, source: o.source, by: 'manifest', report: null });
  }
  const multipart = info.outputs.filter((o) => o.parts).length;
  const stale = info.outputs.flatMap((o) => o.stale);
  const bytes = info.landing.reduce((n, o) => n + o.size, 0);
  const box = $('#manifest-info');
  box.hidden = false;
  box.replaceChildren(
    h('div', {}, h('b', {}, info.location), ` · ${info.region} · ${fmt(info.landing.length)} landing object(s), ${mb(bytes)} · ${info.outputs.length} outputs to upload (${multipart} prepared for multipart)`),
    h('div', { class: 'muted', 'data-testid': 'manifest-expiry' }, `Links signed ${info.created}, valid until ${info.expires}.`),
    info.skipped.length ? h('details', {}, h('summary', {}, `${info.skipped.length} key(s) under the prefix are not landing data`),
      h('ul', {}, info.skipped.map((k) => h('li', {}, `${k.key} — ${k.reason}`)))) : null,
    stale.length ? h('details', { 'data-testid': 'manifest-stale' }, h('summary', {}, `${stale.length} older object(s) in the table folders this upload writes: each is deleted once its table is uploaded, so a table folder holds exactly this run's files`),
      h('ul', {}, stale.map((k) => h('li', {}, k)))) : null,
  );
  $('#s3').open = true;
  $('#phase-upload').hidden = false;
  $('#upload').hidden = !result;
  document.body.dataset.manifest = 'loaded';
  filesChanged();
}

async function upload() {
  if (!s3Info || !result) return;
  if (s3Info.expiresMs && Date.now() > s3Info.expiresMs) {
    showError(`The manifest's links expired at ${s3Info.expires}: run \`stedi-lake presign\` again and load the new manifest. Your results are still here to download.`);
  }
  $('#upload').disabled = true;
  document.body.dataset.upload = 'running';
  setStatus(`Uploading to ${s3Info.location}…`);
  try {
    const { report, location } = await ask('upload', {}, (ev) => {
      if (ev.phase === 'upload') setPhase('upload', ev.done, ev.total, `${Math.floor(ev.done)} of ${ev.total} objects · ${mb(ev.sent)} sent`);
    });
    renderUploadReport(report, location);
    const failed = report.filter((r) => r.status !== 'uploaded');
    const notDeleted = report.flatMap((r) => r.not_deleted ?? []);
    const deleted = report.reduce((n, r) => n + (r.deleted?.length ?? 0), 0);
    window.stediLastRun = { ...window.stediLastRun, upload: report };
    const cleaned = deleted ? `; deleted ${deleted} stale object(s) from the table folders` : '';
    if (failed.length) {
      showError(`${failed.length} of ${report.length} object(s) did not upload — nothing is lost: every result is still here to download. First problem: ${failed[0].error}`);
      setStatus(`Uploaded ${report.length - failed.length} of ${report.length} objects to ${location}${cleaned}.`);
    } else if (notDeleted.length) {
      showError(`${notDeleted.length} stale object(s) could not be deleted: their table folder still holds files of an earlier run, which Athena and Spark read with the new table. First problem: ${notDeleted[0].error}`);
      setStatus(`Uploaded all ${report.length} objects to ${location}${cleaned}.`);
    } else {
      showError('');
      setStatus(`Uploaded all ${report.length} objects to ${location}${cleaned}.`);
    }
    document.body.dataset.upload = failed.length === report.length ? 'failed' : failed.length || notDeleted.length ? 'partial' : 'done';
  } catch (err) {
    showError(`${err.message} — your results are still here to download.`);
    document.body.dataset.upload = 'failed';
  } finally {
    $('#upload').disabled = false;
  }
}

function renderUploadReport(report, location) {
  const box = $('#upload-report');
  box.hidden = false;
  // Each output, then the stale objects of its table folder: deleted after it arrived, or why not.
  const staleRows = (r) => [
    ...(r.deleted ?? []).map((key) => h('tr', { 'data-deleted': key, 'data-result': 'deleted' },
      h('td', {}, key), h('td', {}, '—'), h('td', {}, 'DELETE'), h('td', {}, '—'), h('td', {}, `deleted: stale in the folder of ${r.path}`))),
    ...(r.not_deleted ?? []).map((x) => h('tr', { 'data-deleted': x.key, 'data-result': 'not-deleted' },
      h('td', {}, x.key), h('td', {}, '—'), h('td', {}, 'DELETE'), h('td', {}, '—'), h('td', { class: 'bad' }, `NOT deleted: ${x.error}`))),
  ];
  box.replaceChildren(h('h3', {}, `Upload report — ${location}`), h('table', { class: 'preview' },
    h('thead', {}, h('tr', {}, ['object', 'size', 'how', 'ETag', 'result'].map((c) => h('th', {}, c)))),
    h('tbody', {}, report.flatMap((r) => [h('tr', { 'data-upload': r.path, 'data-status': r.status },
      h('td', {}, r.key), h('td', {}, fmt(r.size)), h('td', {}, r.method ?? '—'), h('td', {}, r.etag ?? '—'),
      h('td', { class: r.status === 'uploaded' ? '' : 'bad' }, r.status === 'uploaded'
        ? `uploaded${r.retries ? ` after ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}` : ''}${r.note ? ` (${r.note})` : ''}`
        : `NOT uploaded: ${r.error}${r.stale_kept ? ` (the folder's ${r.stale_kept} older object(s) were kept with the old table)` : ''}`)), ...staleRows(r)]))));
}

// ---------------------------------------------------------------- wiring

async function guarded(fn) {
  try { await fn(); } catch (err) { if (!err.cancelled) showError(err.message); }
}
function init() {
  startWorker();
  addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
  addEventListener('drop', (e) => guarded(() => onDrop(e)));
  $('#pick-files').addEventListener('change', (e) => guarded(() => addFiles([...e.target.files].map((file) => ({ name: file.name, file })))));
  $('#pick-folder').addEventListener('change', (e) => guarded(() => addFiles([...e.target.files].map((file) => ({ name: file.webkitRelativePath || file.name, file })))));
  $('#sample').addEventListener('click', () => guarded(loadSample));
  $('#run').addEventListener('click', run);
  $('#cancel').addEventListener('click', cancel);
  $('#zip').addEventListener('click', () => guarded(async () => {
    setStatus('Preparing the zip…');
    const { blob } = await ask('zip');
    save(blob, `stedi-lake-${result.mode}.zip`);
    setStatus(`Zip ready: ${mb(blob.size)}.`);
  }));
  $('#customer').addEventListener('change', (e) => guarded(() => drawChart(e.target.value)));
  $('#manifest-load').addEventListener('click', () => guarded(() => loadManifest({ text: $('#manifest-text').value })));
  $('#pick-manifest').addEventListener('change', (e) => guarded(async () => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) await loadManifest({ text: await file.text() });
  }));
  $('#upload').addEventListener('click', () => guarded(upload));
  // ?manifest=<url>: read once, then drop it from the address bar and history (it may be signed).
  const manifestUrl = new URLSearchParams(location.search).get('manifest');
  if (manifestUrl) {
    const clean = new URL(location.href);
    clean.searchParams.delete('manifest');
    history.replaceState(null, '', clean.pathname + clean.search);
    guarded(() => loadManifest({ url: manifestUrl }));
  }
  document.body.dataset.state = 'idle';
  filesChanged();
}
init();
