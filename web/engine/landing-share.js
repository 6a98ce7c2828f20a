// @ts-check
// How the largest output, the accelerometer landing table, is shared between the landing writer
// worker (engine/landing-writer.js), which encodes it from the landing chunks while the engine
// worker (engine/worker.js) applies the rules, and the engine worker, which encodes the table's
// last row groups itself (Lake.landingTail) once its own work is done: the writer joins them to
// its own (LANDING.FINISH {tail}), and the file is byte for byte the one written whole
// (crate/src/sink/landing_chunks.rs). This module is the one rule that says where the share
// of the engine worker starts.

/**
 * The engine worker's work after reading (the landing chunks' hand-over, the rules, its own
 * tables) in the landing writer's time per chunk, per chunk of the table, in strict mode.
 * Measured on real x100 (docs/performance.md): 1.23 s after reading against the writer's 12 ms
 * per chunk, 124 chunks. In rubric mode the rules' join fans out (machine_learning_curated is
 * many times the readings), so the engine worker is the last to finish anyway: no share.
 */
export const ENGINE_WORK_PER_CHUNK = 0.83;

/**
 * Where the landing writer's share of the table's `n` landing chunks ends when reading does, `sent` of
 * them already sent: the engine worker encodes the row groups from there (Lake.landingTail) once
 * its own work is done, and the writer joins them to its own. The rule balances the two: the
 * writer still has `n - sent` chunks to encode, the engine worker ENGINE_WORK_PER_CHUNK * n of
 * its own, so taking t chunks ends both together when t = (n - sent - ENGINE_WORK_PER_CHUNK * n) / 2;
 * the tail starts on a row group (`rowGroup` chunks, from chunk 0) and is the one closest to t,
 * none when t is not positive, and none in rubric mode. Returns `n` for no tail.
 * @param {number} n @param {number} sent @param {number} rowGroup @param {string} mode
 */
export function tailStart(n, sent, rowGroup, mode) {
  if (mode !== 'strict') return n;
  const t = (n - sent - ENGINE_WORK_PER_CHUNK * n) / 2;
  let best = n;
  for (let start = Math.ceil(Math.max(sent, 1) / rowGroup) * rowGroup; start < n; start += rowGroup) {
    if (Math.abs(n - start - t) < Math.abs(n - best - t)) best = start;
  }
  return best;
}
