// @ts-check
// The landing files of the page: the drop zone, the pickers and "Load sample data" add files;
// the core's landing rule (REQUEST.SELECT) sets aside what is not landing data, with the reason;
// an early sniff (REQUEST.SNIFF, the name and first 64 KiB) shows each file in the zone of the
// source it will likely be routed to. That guess is for display only: a run reads every listed
// file and the engine routes it (by name, else by its records' keys, reading further than the
// sniff), unless the user moved it to a source, the one case where the page names the source.
// After a run each file shows where the engine routed it. S3 objects of a loaded manifest are
// listed here too (ui/s3.js `setRemote`).
//
//   drop / pickers / sample ──add(list)──▶ select ─▶ sniff ──▶ render: zones, not routed, not read
//   ui/run.js ◀── runFiles() (every file; a source only if moved) · report(FileReport) as each is read
import { $, fmt, h, mb, setStatus } from './dom.js';
import { REQUEST } from '../engine/protocol.js';

const SOURCES = ['customer', 'accelerometer', 'step_trainer'];
/**
 * Bytes of landing data beyond which the status line warns that a run may run out of memory. The
 * decoded landing set and the rules' indexes stay in the engine worker's wasm memory (4 GiB at
 * most) until the rules have run. Measured with the real data scaled (docs/performance.md,
 * session 15): as distinct copies (bench/scale.py: more customers, readings and devices), 9.9 GB
 * ran in one tab and 12.1 GB stopped out of memory; the same files repeated reach ~19 GB (strict
 * folds exact copies). The warning takes the lower, distinct figure. Other data mixes decode to
 * more or less per byte, so this is a warning, not a limit.
 */
const TAB_LIMIT_BYTES = 10e9;
/** Rows a file list shows before "Show all" (FileList.shown). */
const SHOWN_ROWS = 200;
const sizeOf = (f) => (f.file ? f.file.size : f.size);

/**
 * The first of `entries` whose `File` can no longer be read (its file changed or went away on disk
 * since it was chosen: the browser then refuses every read), or `undefined`. Reads one byte of each.
 */
async function firstStale(entries) {
  for (const f of entries) {
    try {
      await f.file.slice(0, 1).arrayBuffer();
    } catch {
      return f;
    }
  }
  return undefined;
}

export class FileList {
  /** `isRunning()`: whether a run is under way (the Run button waits, the status line is the run's). */
  constructor(engine, { isRunning }) {
    this.engine = engine;
    this.isRunning = isRunning;
    // key → {key, name, file | size + remote, source, by, moved, guess: the sniff's {source, by}, report}
    this.files = new Map();
    this.skipped = new Map(); // name → {name, size, kind, reason}: never sent to a run
    this.seq = 0;
    this.adds = 0; // choices listed so far (add calls done)
    /** @type {Promise<unknown>} the last choice being listed (FileList.add) */
    this.adding = Promise.resolve();
    this.expanded = new Set(); // the lists whose every row was asked for ("Show all"; FileList.shown), until files are added or a run starts
  }

  /**
   * Add files by their relative paths (`name`: the dropped or picked folder's name first). Which
   * are landing data is the core's one rule (`Lake.selectFiles`, as for the CLI and presign): the
   * others are listed with the reason and never read.
   */
  add(list) {
    // One choice listed at a time: each sees the list the one before left (the stale-file check
    // reads the disk, so two overlapping choices could both replace one entry). Sniffs overlap.
    const listed = this.adding.then(() => this.list(list));
    this.adding = listed.catch(() => {});
    return listed.then((added) => (added.length ? this.sniff(added) : undefined));
  }

  /** {@link FileList.add}'s listing, once the choices before it are listed: the entries it added. */
  async list(list) {
    if (!list.length) return [];
    const { results } = await this.engine.ask(REQUEST.SELECT, { paths: list.map((f) => f.name) });
    const chosen = [];
    list.forEach((f, i) => {
      const skip = results[i]?.skip ?? (f.folder ? { kind: 'hidden', reason: 'a folder that is not read' } : null);
      if (skip) this.skipped.set(f.name, { name: f.name, size: f.file?.size ?? null, kind: skip.kind, reason: skip.reason });
      else { this.skipped.delete(f.name); chosen.push(f); }
    });
    const added = [];
    const listed = new Map(); // name → the local files listed under it
    for (const f of this.files.values()) if (f.file) listed.set(f.name, [...(listed.get(f.name) ?? []), f]);
    for (const { name, file } of chosen) {
      const same = (listed.get(name) ?? []).filter((f) => this.files.get(f.key) === f); // not removed meanwhile
      const identical = same.filter((f) => f.file.size === file.size && f.file.lastModified === file.lastModified);
      if (identical.length && !(await firstStale(identical))) continue; // the same file twice
      const stale = await firstStale(same);
      // Chosen again after it changed on disk (its File can no longer be read): a new entry takes
      // its place, keeping the source the user moved it to; a run under way reports the old one.
      const moved = stale?.moved ?? false;
      const entry = { key: `f${this.seq++}`, name, file, source: moved ? stale.source : null, by: moved ? 'given' : 'pending', moved, guess: null, report: null };
      if (stale) this.files.delete(stale.key);
      this.files.set(entry.key, entry);
      listed.set(name, [...same.filter((f) => f !== stale), entry]);
      added.push(entry);
    }
    if (added.length) this.expanded.clear(); // new files: each list shows its first rows again
    this.changed();
    document.body.dataset.filesAdded = String(++this.adds); // for tests: this choice is listed
    return added;
  }

  /**
   * The early sniff of local `entries` (REQUEST.SNIFF; a run started meanwhile stops it): each
   * file's guess, shown until a run reports the file.
   */
  async sniff(entries, { quiet = false } = {}) {
    const { results: sniffed } = await this.engine.ask(REQUEST.SNIFF, { files: entries.map(({ key, name, file }) => ({ key, name, file })) });
    for (const r of sniffed) {
      const f = this.files.get(r.key);
      if (f) f.guess = { source: r.source, by: r.by, reason: r.reason };
      if (f && !f.moved && !f.report) Object.assign(f, f.guess); // a run's report is the routing
    }
    // A run started meanwhile (it stops the sniff, whose answer comes as it begins) draws every
    // list with its reports when it ends (ui/run.js): drawn now, the lists took the main thread
    // ~0.45 s at the run's start, from the reading (real x100, 1,300 files, docs/performance.md).
    if (this.isRunning()) return;
    if (quiet) this.render(); // the status line keeps what the last run said
    else this.changed();
  }

  /**
   * After a run that did not finish (cancelled, failed): the files whose sniff it stopped and
   * that it did not report are sniffed again, instead of saying "checking…" with nothing checking.
   */
  resniff() {
    const pending = [...this.files.values()].filter((f) => f.by === 'pending' && !f.report && f.file);
    // Guesses only: the run's error and status line stay the ones shown.
    if (pending.length) this.sniff(pending, { quiet: true }).catch(() => {});
  }

  /** List the landing objects of a loaded manifest (ManifestInfo.landing) in place of earlier ones. */
  setRemote(landing) {
    this.expanded.clear();
    for (const [k, f] of this.files) if (f.remote !== undefined) this.files.delete(k);
    for (const o of landing) {
      const guess = { source: o.source, by: 'manifest' };
      this.files.set(`s3-${o.index}`, { key: `s3-${o.index}`, name: o.key, size: o.size, remote: o.index, ...guess, moved: false, guess, report: null });
    }
  }

  /**
   * The RunFile list of a run (engine/protocol.js): every listed file, in path order (the order
   * the CLI reads a folder in, so both make the same tables row for row, whatever order the
   * browser listed a dropped folder in), with a source only when the user moved it there. Their
   * reports come back to `report`.
   */
  runFiles() {
    // A run collapses the lists again: every row in the page would be laid out and painted at each
    // progress update (FileList.shown).
    if (this.expanded.size) {
      this.expanded.clear();
      this.render();
    }
    const list = [...this.files.values()].sort((a, b) => byPath(a.name, b.name));
    this.reading = new Map(list.map((f) => [f.name, f]));
    return list.map(({ name, file, source, remote, moved }) => ({ name, file, remote, ...(moved ? { source } : {}) }));
  }

  /**
   * A file's report from the run (one of an EVENT.FILE's): shown with the file, in the zone the engine routed it to.
   * @param {import('../engine/protocol.js').FileReport} report
   */
  report(report) {
    const f = this.reading?.get(report.name);
    if (!f) return;
    f.report = report;
    if (!f.moved) Object.assign(f, { source: report.source, by: report.routed_by });
  }

  /** Move a file to `source` (the run passes it to the engine), or with '' back to the engine's own routing. */
  move(f, source) {
    if (source) Object.assign(f, { source, by: 'given', moved: true });
    else Object.assign(f, { source: null, by: 'pending', ...f.guess, moved: false });
    f.report = null;
    this.changed();
  }

  render() {
    /** @type {Map<string, {list: Element, name: string, files: any[]}>} a source (or '' for the files not recognised) → its list and files */
    const lists = new Map(SOURCES.map((s) => [s, { list: $(`.zone[data-source="${s}"] .files`), name: `${s} files`, files: [] }]));
    lists.set('', { list: $('#unrecognised .files'), name: 'files not recognised', files: [] });
    for (const f of this.files.values()) (lists.get(f.source) ?? /** @type {any} */ (lists.get(''))).files.push(f);
    // The files the user moved first, then by path (the order a run reads them in).
    const order = (a, b) => Number(b.moved) - Number(a.moved) || byPath(a.name, b.name);
    for (const { list, name, files } of lists.values()) {
      list.replaceChildren(...this.shown(list, name, files.sort(order).map((f) => () => this.row(f))));
    }
    $('#unrecognised').hidden = !lists.get('')?.files.length;
    this.renderSkipped();
    $('#run').disabled = this.isRunning() || !this.files.size;
  }

  /**
   * The rows of `list` (`items` build them), at most SHOWN_ROWS of them unless its "Show all" was
   * pressed: then a last row says how many more there are. `name` names the entries ("accelerometer
   * files"). Measured with the real data x400 (5,200 files, docs/performance.md, session 11): with
   * every row in the page, each progress update of a run made Chromium lay out and paint all of
   * them (11-13 s of the main thread's CPU in a 24 s run, taken from the workers' two cores); with
   * 200 per list, 1.4-2.6 s, as with no list at all.
   * @param {Element} list
   * @param {string} name
   * @param {(() => Element)[]} items
   */
  shown(list, name, items) {
    if (this.expanded.has(list) || items.length <= SHOWN_ROWS) return items.map((row) => row());
    const more = items.length - SHOWN_ROWS;
    const all = h('button', {
      class: 'small',
      'aria-label': `Show all ${fmt(items.length)} ${name}`,
      onclick: () => {
        this.expanded.add(list);
        this.render();
        // Keyboard focus goes on where the list went on (the button it pressed is gone): the next
        // row's first control, or the row itself (the list of entries not read has none).
        const next = /** @type {HTMLElement | undefined} */ (list.children[SHOWN_ROWS]);
        const control = /** @type {HTMLElement | null | undefined} */ (next?.querySelector('select, button'));
        if (next && !control) next.tabIndex = -1;
        (control ?? next)?.focus();
      },
    }, 'Show all');
    return [...items.slice(0, SHOWN_ROWS).map((row) => row()), h('li', { class: 'more' }, h('span', {}, `… and ${fmt(more)} more ${name}`), all)];
  }

  /** A file's row: name, size, records once read, "move to…", remove; why when not routed. */
  row(f) {
    const move = h('select', { 'aria-label': `source of ${f.name}`, onchange: (e) => this.move(f, e.target.value) },
      h('option', { value: '' }, 'move to…'), SOURCES.map((s) => h('option', { value: s, selected: s === f.source }, s)));
    const remove = h('button', { class: 'small', title: `remove ${f.name}`, 'aria-label': `remove ${f.name}`, onclick: () => { this.files.delete(f.key); this.changed(); } }, '✕');
    const records = f.report ? ` · ${fmt(f.report.kept)} records${f.report.quarantined ? ` · ${fmt(f.report.quarantined)} quarantined` : ''}` : '';
    const li = h('li', { 'data-file': f.name }, h('span', { class: 'name', title: f.name }, f.name), h('span', { class: 'meta' }, (f.remote !== undefined ? 'S3 · ' : '') + mb(sizeOf(f)) + records), move, remove);
    if (!f.source) {
      const why = f.by === 'pending' ? 'checking…' : f.report?.error
        ?? (f.by === 'unreadable' ? `Could not be read (${f.reason}): changed or removed since it was chosen? Choose it again to read it as it is now, or remove it (✕).` : null)
        ?? (f.remote !== undefined ? 'S3 object: routed by its records’ keys when it is read.' : null)
        ?? 'Neither the folder/file name nor the first records’ keys match customer, accelerometer or step_trainer: Run reads further and routes it by its records’ keys, or reports it as not STEDI landing data. Move it to a source if it is one, or remove it.';
      li.append(h('div', { class: 'reason' }, why));
    }
    return li;
  }

  /** Files the landing rule left out, each with its reason (names as text, like every file name). */
  renderSkipped() {
    const box = $('#skipped');
    box.hidden = !this.skipped.size;
    $('#skipped-count').textContent = `${fmt(this.skipped.size)} file(s) not read: not landing data`;
    const list = $('#skipped .files');
    list.replaceChildren(...this.shown(list, 'entries not read', [...this.skipped.values()].map((f) => () => h('li', { 'data-skipped': f.name, 'data-kind': f.kind },
      h('span', { class: 'name', title: f.name }, f.name), h('span', { class: 'meta' }, f.size === null ? 'folder' : mb(f.size)),
      h('div', { class: 'reason' }, f.reason)))));
  }

  /** After the file list changed (not after a run): say what is ready. */
  changed() {
    this.render();
    const routed = [...this.files.values()].filter((f) => f.source).length;
    const notRead = this.skipped.size ? ` ${this.skipped.size} file(s) not read (listed with the reason).` : '';
    const bytes = [...this.files.values()].reduce((n, f) => n + sizeOf(f), 0);
    const tooLarge = bytes > TAB_LIMIT_BYTES
      ? ` ${(bytes / 1e9).toFixed(2)} GB listed: more than the ~10 GB of STEDI landing data one tab has been measured to run (the engine's WebAssembly memory is limited to 4 GiB), so this run may stop out of memory; the native CLI has no such limit.`
      : '';
    if (!this.isRunning()) setStatus((this.files.size ? `${this.files.size} file(s) ready, ${routed} routed to a source.` : 'Add landing files to begin.') + notRead + tooLarge);
  }
}

/**
 * Paths in the CLI's order (crate/src/local/landing.rs walks each folder's entries sorted, i.e.
 * by path component, each compared as UTF-8 bytes): `a/x` before `a-b/x`, `B` before `a`. UTF-8
 * byte order is code point order, so components are compared code point by code point (not by
 * UTF-16 units, which put U+E000..U+FFFF after the astral planes), without encoding them.
 */
export function byPath(/** @type {string} */ a, /** @type {string} */ b) {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = pa[i] === pb[i] ? 0 : byCodePoint(pa[i], pb[i]);
    if (c) return c;
  }
  return pa.length - pb.length;
}

/**
 * Compare two strings by code point, i.e. by their UTF-8 bytes. A lone surrogate (a Windows file
 * name that is not valid Unicode) counts as its own value, as Rust orders such a name (its WTF-8
 * bytes). A Linux name that is not UTF-8 reaches the page already replaced by U+FFFD, so its
 * order cannot follow the CLI's raw bytes.
 */
function byCodePoint(/** @type {string} */ x, /** @type {string} */ y) {
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const cx = /** @type {number} */ (x.codePointAt(i));
    const cy = /** @type {number} */ (y.codePointAt(j));
    if (cx !== cy) return cx - cy;
    i += cx > 0xffff ? 2 : 1;
    j += cy > 0xffff ? 2 : 1;
  }
  return (x.length - i) - (y.length - j);
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

/** The files of a drop event: a dropped folder walked, or the plain files. */
export async function dropped(e) {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const dt = e.dataTransfer;
  const entries = [...(dt.items ?? [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  return entries.length
    ? (await Promise.all(entries.map((en) => walkEntry(en)))).flat()
    : [...dt.files].map((file) => ({ name: file.name, file }));
}

/** The sample landing files (fixtures/landing, listed in sample-files.json). */
export async function sampleFiles() {
  setStatus('Loading the sample data…');
  const paths = await (await fetch('sample-files.json')).json();
  return Promise.all(paths.map(async (p) => {
    const blob = await (await fetch(`../fixtures/${p}`)).blob();
    return { name: p, file: new File([blob], p.split('/').pop(), { type: 'application/json' }) };
  }));
}
