// @ts-check
// The S3 panel: load a presigned manifest (pasted, chosen, or `?manifest=<url>`), list its
// landing objects with the files, and after a run upload the results, with a report of every
// object. The page sees only the manifest's redacted view (ManifestInfo): no URL, no signature.
//
//   Load ──REQUEST.MANIFEST──▶ engine ──info──▶ #manifest-info, files.setRemote
//   Upload ──REQUEST.UPLOAD──▶ engine ──EVENT.PROGRESS──▶ phase bar ──report──▶ #upload-report
import { $, fmt, h, mb, setStatus, showError } from './dom.js';
import { setPhase } from './run.js';
import { PHASE, REQUEST } from '../engine/protocol.js';

export class S3Panel {
  /** `files`: the FileList; `result()`: the last run's RunResult, if any. */
  constructor(engine, files, { result }) {
    this.engine = engine;
    this.files = files;
    this.result = result;
    /** @type {import('../engine/protocol.js').ManifestInfo | null} */
    this.info = null; // the worker's redacted view of the manifest: keys, sizes, expiry; no URLs
  }

  /** Load a manifest (text or URL) into the worker and list its landing objects in the zones. */
  async load(payload) {
    setStatus('Reading the manifest…');
    /** @type {{info: import('../engine/protocol.js').ManifestInfo}} */
    const { info } = await this.engine.ask(REQUEST.MANIFEST, payload);
    $('#manifest-text').value = ''; // the pasted links are in the worker now; keep none in the page
    this.info = info;
    this.files.setRemote(info.landing);
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
    this.showUpload();
    document.body.dataset.manifest = 'loaded';
    this.files.changed();
  }

  /** The Upload button: shown when a manifest is loaded and a run has results. */
  showUpload() {
    $('#upload').hidden = !(this.info && this.result());
  }

  async upload() {
    const info = this.info;
    if (!info || !this.result()) return;
    if (info.expiresMs && Date.now() > info.expiresMs) {
      showError(`The manifest's links expired at ${info.expires}: run \`stedi-lake presign\` again and load the new manifest. Your results are still here to download.`);
    }
    $('#upload').disabled = true;
    document.body.dataset.upload = 'running';
    setStatus(`Uploading to ${info.location}…`);
    try {
      /** @type {{report: import('../engine/protocol.js').UploadEntry[], location: string}} */
      const { report, location } = await this.engine.ask(REQUEST.UPLOAD, {}, (ev) => {
        if (ev.phase === PHASE.UPLOAD) setPhase(PHASE.UPLOAD, ev.done, ev.total, `${Math.floor(ev.done)} of ${ev.total} objects · ${mb(ev.sent)} sent`);
      });
      renderUploadReport(report, location);
      const failed = report.filter((r) => r.status !== 'uploaded');
      const notDeleted = report.flatMap((r) => r.not_deleted ?? []);
      const deleted = report.reduce((n, r) => n + (r.deleted?.length ?? 0), 0);
      const page = /** @type {any} */ (window);
      page.stediLastRun = { ...page.stediLastRun, upload: report };
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
}

/** Each output (UploadEntry) with its size, method, ETag and result, then its folder's stale objects. */
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
