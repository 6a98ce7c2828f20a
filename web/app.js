// @ts-check
// The page: wires the engine (engine/client.js, which talks to the engine's Web Worker) to the
// parts of the page, each in its own module under ui/: the landing files (files.js), running and
// progress (run.js), the results (results.js, chart.js) and the S3 panel (s3.js). The wasm engine
// runs only in the workers (engine/); every data value is rendered as text, never as HTML.
//
//   inputs ──▶ FileList ──runFiles──▶ Runner ──REQUEST.RUN──▶ Engine ──▶ engine/worker.js
//                                    Runner ──RunResult──▶ renderResults, S3Panel (upload)
import { Engine } from './engine/client.js';
import { REQUEST } from './engine/protocol.js';
import { drawChart } from './ui/chart.js';
import { $, guarded, mb, save, setStatus } from './ui/dom.js';
import { dropped, FileList, sampleFiles } from './ui/files.js';
import { renderResults } from './ui/results.js';
import { Runner } from './ui/run.js';
import { S3Panel } from './ui/s3.js';

const engine = new Engine();
const files = new FileList(engine, { isRunning: () => runner.running });
const runner = new Runner(engine, files, {
  location: () => s3.info?.location,
  onResult: (result) => {
    s3.showUpload();
    renderResults(engine, result);
  },
});
const s3 = new S3Panel(engine, files, { result: () => runner.result });

addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
addEventListener('drop', (e) => guarded(async () => files.add(await dropped(e))));
$('#pick-files').addEventListener('change', (e) => guarded(() => files.add([...e.target.files].map((file) => ({ name: file.name, file })))));
$('#pick-folder').addEventListener('change', (e) => guarded(() => files.add([...e.target.files].map((file) => ({ name: file.webkitRelativePath || file.name, file })))));
$('#sample').addEventListener('click', () => guarded(async () => files.add(await sampleFiles())));
$('#run').addEventListener('click', () => runner.run());
$('#cancel').addEventListener('click', () => runner.cancel());
$('#zip').addEventListener('click', () => guarded(async () => {
  setStatus('Preparing the zip…');
  const { blob } = await engine.ask(REQUEST.ZIP);
  save(blob, `stedi-lake-${runner.result.mode}.zip`);
  setStatus(`Zip ready: ${mb(blob.size)}.`);
}));
$('#glue').addEventListener('click', () => guarded(async () => {
  const { mode } = runner.result;
  const { blob } = await engine.ask(REQUEST.GLUE, { mode, location: runner.location() });
  save(blob, `stedi-lake-glue-${mode}.zip`);
  setStatus(`Glue job bundle ready (${mode} rules): unzip it and follow its README.md.`);
}));
$('#customer').addEventListener('change', (e) => guarded(() => drawChart(engine, e.target.value)));
$('#manifest-load').addEventListener('click', () => guarded(() => s3.load({ text: $('#manifest-text').value })));
$('#pick-manifest').addEventListener('change', (e) => guarded(async () => {
  const file = e.target.files[0];
  e.target.value = '';
  if (file) await s3.load({ text: await file.text() });
}));
$('#upload').addEventListener('click', () => guarded(() => s3.upload()));
// ?manifest=<url>: read once, then drop it from the address bar and history (it may be signed).
const manifestUrl = new URLSearchParams(location.search).get('manifest');
if (manifestUrl) {
  const clean = new URL(location.href);
  clean.searchParams.delete('manifest');
  history.replaceState(null, '', clean.pathname + clean.search);
  guarded(() => s3.load({ url: manifestUrl }));
}
document.body.dataset.state = 'idle';
files.changed();
