// @ts-check
// Run and progress: the Run and Cancel buttons, the mode, the phase bars and the status line of a
// run. A run sends the files (ui/files.js) to the engine worker, shows each file's report as it
// is read and the phases as they advance, then hands the result to ui/results.js.
//
//   Run ──REQUEST.RUN {mode, files, location}──▶ engine ──EVENT.PROGRESS──▶ phase bars
//                                                       ──EVENT.FILE {reports}──▶ files.report
//                                                       ──RunResult──▶ onResult (results, S3 panel)
//   Cancel ──engine.cancel() (the worker is replaced)
import { $, mb, setStatus, showError } from './dom.js';
import { EVENT, PHASE, REQUEST } from '../engine/protocol.js';

export function setPhase(name, value, max, text) {
  const p = $(`#p-${name}`);
  p.max = max || 1; p.value = value;
  $(`#p-${name}-text`).textContent = text ?? '';
}

export class Runner {
  /**
   * `files`: the FileList; `location()`: the S3 location the DDL names, if a manifest is loaded;
   * `onResult(result)`: a run finished (RunResult, with its `mode`).
   */
  constructor(engine, files, { location, onResult }) {
    this.engine = engine;
    this.files = files;
    this.location = location;
    this.onResult = onResult;
    this.running = false;
    /** @type {import('../engine/protocol.js').RunResult & {mode?: string} | null} the last run's result */
    this.result = null;
  }

  async run() {
    const mode = $('input[name="mode"]:checked').value;
    this.running = true;
    this.result = null;
    showError('');
    $('#results').hidden = true;
    $('#run').disabled = true;
    $('#cancel').disabled = false;
    for (const p of Object.values(PHASE)) setPhase(p, 0, 1, '');
    $('#upload-report').hidden = true;
    setStatus(`Running ${mode}…`);
    const t0 = performance.now();
    try {
      // ?decoders=N sets how many workers decode (tests and benchmarks); by default the worker decides.
      const decoders = Number(new URLSearchParams(location.search).get('decoders')) || undefined;
      // ?held=N: landing chunks that wait for the end of reading (tests; default: the worker's).
      const held = new URLSearchParams(location.search).get('held');
      const heldChunks = held === null ? undefined : Number(held);
      // ?split=0: the landing writer encodes all of the accelerometer landing table (benchmarks).
      const split = new URLSearchParams(location.search).get('split') !== '0';
      /** @type {import('../engine/protocol.js').RunRequest} */
      const request = { mode, location: this.location(), decoders, heldChunks, split, files: this.files.runFiles() };
      /** @type {import('../engine/protocol.js').RunResult & {mode?: string}} */
      const result = await this.engine.ask(REQUEST.RUN, request, (ev) => {
        if (ev.type === EVENT.FILE) for (const report of ev.reports) this.files.report(report);
        else if (ev.phase === PHASE.READ) setPhase(PHASE.READ, ev.done, ev.total, `${mb(ev.done)} of ${mb(ev.total)}`);
        else if (ev.phase === PHASE.PARSE) setPhase(PHASE.PARSE, ev.done, ev.total, `${mb(ev.done)} · ${ev.mbps.toFixed(0)} MB/s`);
        else if (ev.phase === PHASE.JOIN) setPhase(PHASE.JOIN, ev.done, ev.total, ev.done ? 'done' : 'applying the rules…');
        else if (ev.phase === PHASE.WRITE) setPhase(PHASE.WRITE, ev.done, ev.total, `${ev.done} of ${ev.total} tables`);
      });
      result.mode = mode;
      this.result = result;
      /** @type {any} */ (window).stediLastRun = { timings: result.timings, memoryBytes: result.memoryBytes, summary: result.summary }; // for scripts, tests and the benchmark
      const secs = (performance.now() - t0) / 1000;
      this.onResult(result);
      setStatus(`Done in ${secs.toFixed(2)} s (${mode}): ${mb(result.timings.bytes)} read at ${(result.timings.bytes / 1e6 / Math.max(result.timings.read_s, 1e-3)).toFixed(0)} MB/s, wasm memory ${mb(result.memoryBytes)}.`);
      document.body.dataset.state = 'done';
    } catch (err) {
      if (err.cancelled) return;
      showError(err.message);
      setStatus('The run did not finish.');
      document.body.dataset.state = 'error';
      this.files.resniff();
    } finally {
      this.running = false;
      $('#cancel').disabled = true;
      this.files.render(); // each file with its report, once the run is over
    }
  }

  cancel() {
    if (!this.running) return;
    // Terminating the worker is what really stops wasm mid-computation; a fresh one takes its place.
    this.engine.cancel();
    this.running = false;
    for (const p of [PHASE.READ, PHASE.PARSE, PHASE.JOIN, PHASE.WRITE]) setPhase(p, 0, 1, '');
    $('#cancel').disabled = true;
    this.files.render();
    setStatus('Cancelled: the run was stopped and nothing from it was kept. Your files are still listed.');
    document.body.dataset.state = 'cancelled';
    this.files.resniff();
  }
}
