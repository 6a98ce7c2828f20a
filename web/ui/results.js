// @ts-check
// The results of a run: the lineage (tables by zone, with each rule's count), a card per table
// (schema, rows a page at a time, downloads) and the data-quality report. Every value is text.
// Which tables there are, their zones, inputs and output paths come from `summary.tables` (in
// pipeline order): the page keeps no table list of its own.
//
//   ui/run.js ──RunResult──▶ renderResults ──▶ #lineage, #tables, #quality, ui/chart.js
//   a table card opened ──REQUEST.ROWS──▶ engine;  a download ──REQUEST.OUTPUT──▶ engine ──▶ save
import { $, fmt, h, save, showError } from './dom.js';
import { renderChartControls } from './chart.js';
import { REQUEST } from '../engine/protocol.js';

const PAGE = 20; // rows per page of a table card

/** @typedef {import('../engine/protocol.js').Summary} Summary */

/**
 * Show a run's results.
 * @param {import('../engine/client.js').Engine} engine
 * @param {import('../engine/protocol.js').RunResult} result
 */
export function renderResults(engine, result) {
  const { summary } = result;
  $('#results').hidden = false;
  renderLineage(summary);
  renderTables(engine, summary);
  renderQuality(result.quality, summary);
  renderChartControls(engine, result.emails);
}

function tableBox(name, zone, rows) {
  return h('div', { class: `lin-table ${zone}` }, h('div', {}, name), h('div', { class: 'n' }, fmt(rows)));
}
/**
 * A derived table's rules: its inputs (main input first) → it, each rule with the rows it removed or added.
 * @param {string} name @param {import('../engine/protocol.js').TableSummary} info @param {import('../../pkg/stedi_lake.js').Flow} flow
 */
function flowBox(name, info, flow) {
  return h('div', { class: 'lin-arrow' }, h('b', {}, `${info.from.join(' + ')} → ${name}`),
    flow.rules.map((r) => h('div', { class: 'rule', title: r.why },
      h('span', { class: 'why' }, r.rule.replaceAll('_', ' ')),
      h('span', { class: 'num' }, [r.removed ? `−${fmt(r.removed)}` : '', r.added ? ` +${fmt(r.added)}` : '', !r.removed && !r.added ? '0' : ''].join('')))));
}
/** One column per zone (in pipeline order), each after a column of the rules that made its tables. */
/** @param {Summary} summary */
function renderLineage(summary) {
  const flows = Object.fromEntries(summary.rules.map((f) => [f.table, f]));
  /** @type {Map<string, [string, import('../engine/protocol.js').TableSummary][]>} zone → its tables, in pipeline order */
  const zones = new Map();
  for (const [name, info] of Object.entries(summary.tables)) zones.set(info.zone, [...(zones.get(info.zone) ?? []), [name, info]]);
  const col = (title, ...items) => h('div', { class: 'lin-col' }, h('h3', {}, title), ...items);
  $('#lineage').replaceChildren(...[...zones].flatMap(([zone, tables]) => {
    const derived = tables.filter(([, info]) => info.from.length);
    return [
      derived.length ? col('rules', ...derived.map(([name, info]) => flowBox(name, info, flows[name]))) : null,
      col(zone, ...tables.map(([name, info]) => tableBox(name, zone, info.rows))),
    ].filter(Boolean);
  }));
}

async function download(engine, path, filename) {
  try {
    const { bytes, contentType } = await engine.ask(REQUEST.OUTPUT, { path });
    save(new Blob([bytes], { type: contentType }), filename);
  } catch (err) { showError(`Could not prepare ${filename}: ${err.message}`); }
}

/** @param {import('../engine/client.js').Engine} engine @param {Summary} summary */
function renderTables(engine, summary) {
  const cards = Object.entries(summary.tables).map(([name, info]) => {
    const zone = info.zone;
    const body = h('div', {});
    const card = h('details', { class: 'table-card', 'data-table': name },
      h('summary', {},
        h('span', { class: 'tname' }, name), h('span', { class: `badge ${zone}` }, zone),
        h('span', { class: 'count', 'data-testid': `count-${name}` }, String(info.rows)), h('span', { class: 'muted' }, 'rows'),
        h('span', { class: 'spacer' }),
        h('button', { class: 'small', 'data-download': `${name}.parquet`, onclick: (e) => { e.preventDefault(); download(engine, info.paths.parquet, `${name}.parquet`); } }, 'Parquet'),
        h('button', { class: 'small', 'data-download': `${name}.json`, onclick: (e) => { e.preventDefault(); download(engine, info.paths.ndjson, `${name}.json`); } }, 'NDJSON'),
        h('button', { class: 'small', 'data-download': `${name}.sql`, onclick: (e) => { e.preventDefault(); download(engine, info.paths.ddl, `${name}.sql`); } }, 'DDL')),
      body);
    let offset = 0;
    const show = async () => {
      const { rows } = await engine.ask(REQUEST.ROWS, { table: name, offset, limit: PAGE });
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

/** The data-quality report (QualityReport) with the per-source record accounting. */
/** @param {import('../engine/protocol.js').QualityReport} q @param {Summary} summary */
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
    box('Keys no source defines', fmt(q.schema_drift.length), h('div', { class: 'muted' }, 'schema drift: the records are kept; these values are in no table'
      + (q.schema_drift_not_listed ? ` (${fmt(q.schema_drift_not_listed)} more occurrences of keys not listed)` : '')),
    list(q.schema_drift.slice(0, 50), (k) => h('li', { 'data-drift': k.key }, `${k.source}.${k.key}: ${fmt(k.count)} records, first ${k.first_file}:${k.first_line}`))),
  );
}
