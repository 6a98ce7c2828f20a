// @ts-check
// Workers started before the run that needs them. Each run of the engine worker (engine/worker.js)
// uses a reader worker (engine/reader.js) and a landing writer worker (engine/landing-writer.js)
// and ends them; started at the run's start, the reader's module took ~50-65 ms to load before it
// could read anything (the decoding worker waits for it), and the writer compiled its wasm on a
// core the reading needs (real x100, docs/performance.md, session 13). So the engine worker starts
// the next run's workers while it is idle: once its wasm is ready, and 1 s after each run's
// answer (engine/worker.js).
//
//   spare(url).start()  (idle: a Worker loading)  ──take()──▶ the run's worker (a new one if the
//                                                            spare failed to load meanwhile)
//
// Only a failure of the worker itself is seen: a landing writer whose wasm failed to start is
// handed out, and its run fails with that error after reading (as when it was started with it).

/**
 * A module worker of `url` kept ready for its next use.
 * @param {URL} url
 * @param {(url: URL) => Worker} [make] how a worker is made (a stand-in in unit tests)
 */
export function spare(url, make = (u) => new Worker(u, { type: 'module' })) {
  /** @type {{worker: Worker, failed: boolean} | null} */
  let ready = null;
  const fresh = () => {
    const s = { worker: make(url), failed: false };
    // An error before the worker is taken (its module failed to load or threw) would reach no
    // handler of the run's: a failed spare is replaced, never handed out, and its error goes no
    // further (not to this worker's global scope, nor to the page, which would restart the engine).
    s.worker.addEventListener('error', (e) => {
      s.failed = true;
      e.preventDefault();
    });
    return s;
  };
  return {
    /** Start the spare if there is none. */
    start() {
      ready ??= fresh();
    },
    /** The spare (or a new worker if there is none, or it failed); the next `start` makes another. */
    take() {
      let s = ready;
      ready = null;
      if (!s || s.failed) {
        s?.worker.terminate();
        s = fresh();
      }
      return s.worker;
    },
  };
}
