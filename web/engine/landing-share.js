// @ts-check
// How the largest output, the accelerometer landing table, is shared between the landing writer
// worker (engine/landing-writer.js), which encodes it from the landing chunks while the engine
// worker (engine/worker.js) applies the rules, and the engine worker, which encodes the table's
// last row groups itself (Lake.landingTail) once its own work is done: the writer joins them to
// its own (LANDING.FINISH {tail}), and the file is byte for byte the one written whole
// (crate/src/sink/landing_chunks.rs). This module holds the rule that says where the engine
// worker's share starts (`tailStart`) and the engine worker's side of the protocol that follows
// from it (`landingSender`: which chunks go when, and the one LANDING.FINISH).
//
//   while reading:   send(lake)        ──STRINGS, CHUNK k …──▶ (full chunks beyond the `held` newest)
//   reading done:    sendRest(lake)    ──STRINGS, CHUNK …, up to tailStart──▶ [FINISH if no share]
//   own work done:   sendTail(lake)    ──FINISH {tail: Lake.landingTail(table, tailStart)}──▶

import { LANDING } from './protocol.js';

/**
 * The engine worker's work after reading (the landing chunks' hand-over, the rules, its own
 * tables) in the landing writer's time per chunk, per chunk of the table, in strict mode: a
 * model, as if all of it grew with the table (the hand-over grows with the chunks sent after
 * reading) and the engine worker encoded a chunk as fast as the writer. Measured on real x100
 * (docs/performance.md): 1.23 s after reading against the writer's 12 ms per chunk, 125 chunks.
 * In rubric mode the rules' join fans out (machine_learning_curated is many times the readings),
 * so the engine worker is the last to finish anyway: no share.
 */
export const ENGINE_WORK_PER_CHUNK = 0.83;

/**
 * Where the landing writer's share of the table's `n` landing chunks ends when reading does, `sent` of
 * them already sent: the engine worker encodes the row groups from there (Lake.landingTail) once
 * its own work is done, and the writer joins them to its own. The rule balances the two: the
 * writer still has `n - sent` chunks to encode (assuming it has encoded those sent while reading),
 * the engine worker ENGINE_WORK_PER_CHUNK * n of its own, so taking t chunks ends both together
 * when t = (n - sent - ENGINE_WORK_PER_CHUNK * n) / 2. The tail starts on a row group (`rowGroup`
 * chunks, from chunk 0), at or after `sent` and after the first row group, and is the one closest
 * to t; none when t is not positive, and none in rubric mode. Returns `n` for no tail.
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

/**
 * The engine worker's side of the landing writer's protocol (engine/protocol.js LANDING) for
 * `table` in one run, after LANDING.START: `post(message, transfer)` posts to the writer; the
 * chunks, strings and tail come from a Lake (`lake`, as it grows while reading). `held`: full
 * chunks that wait for the end of reading; `rowGroup`: chunks per row group (Lake.rowGroupChunks).
 * - `send(lake)`, while reading: the full chunks beyond the `held` newest, after the strings
 *   interned since the last send;
 * - `sendRest(lake, mode, split)`, once reading is done: the rest up to where the engine worker's
 *   share starts (`tailStart`; all of them, and FINISH, when `split` is false or there is no share);
 * - `sendTail(lake)`, once the engine worker's own tables are written: encodes its share and
 *   sends it with FINISH; returns its chunks (0: no share, or the writer failed).
 * - `fail()`: the writer failed; nothing more is sent (`failed` then says so);
 * - `sentWhileReading`: the chunks `send` sent (for the timings).
 * Exactly one FINISH is sent, after every chunk before the share, in order.
 * @param {(message: import('./protocol.js').LandingMessage, transfer?: Transferable[]) => void} post
 * @param {string} table @param {number} held @param {number} rowGroup
 */
export function landingSender(post, table, held, rowGroup) {
  let sent = 0; // chunks sent
  let strings = [0, 0]; // emails and serials sent
  let n = -1; // once reading is done: the table's chunks
  let tailFrom = -1; // once reading is done: the chunk the engine worker's share starts at
  let failed = false;
  let whileReading = 0; // chunks sent before reading was done
  /** @param {import('../../pkg/stedi_lake.js').Lake} lake @param {number} upTo */
  const sendUpTo = (lake, upTo) => {
    if (upTo <= sent) return;
    const counts = [...lake.landingStringCounts()];
    post({ type: LANDING.STRINGS, bytes: lake.landingStrings(strings[0], strings[1]) });
    strings = counts;
    for (; sent < upTo; sent++) {
      const bytes = lake.landingChunk(table, sent);
      post({ type: LANDING.CHUNK, bytes }, [bytes.buffer]);
    }
  };
  return {
    /** @param {import('../../pkg/stedi_lake.js').Lake} lake */
    send(lake) {
      if (n < 0 && !failed) sendUpTo(lake, lake.landingChunks(table, true) - held);
    },
    /** @param {import('../../pkg/stedi_lake.js').Lake} lake @param {string} mode */
    sendRest(lake, mode, split = true) {
      if (n >= 0 || failed) return;
      n = lake.landingChunks(table, false);
      whileReading = sent;
      tailFrom = split ? tailStart(n, sent, rowGroup, mode) : n;
      sendUpTo(lake, tailFrom);
      if (tailFrom === n) post({ type: LANDING.FINISH });
    },
    /** @param {import('../../pkg/stedi_lake.js').Lake} lake */
    sendTail(lake) {
      if (tailFrom < 0 || tailFrom >= n || failed) return 0;
      const tail = lake.landingTail(table, tailFrom);
      post({ type: LANDING.FINISH, tail }, [tail.buffer]);
      const chunks = n - tailFrom;
      tailFrom = n; // sent: never twice
      return chunks;
    },
    fail() {
      failed = true;
    },
    get failed() {
      return failed;
    },
    /** Chunks sent while reading (known once `sendRest` ran). */
    get sentWhileReading() {
      return whileReading;
    },
  };
}
