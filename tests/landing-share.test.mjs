// Unit checks of where the engine worker's share of the accelerometer landing table starts
// (web/engine/landing-share.js `tailStart`): always on a row group the landing writer has not
// been sent, never the whole table, and the start that ends the two workers' work soonest under
// the rule's cost model, found here by trying every start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE_WORK_PER_CHUNK, tailStart } from '../web/engine/landing-share.js';

const ROW_GROUP = 16; // Lake.rowGroupChunks()

/** When the later of the two workers is done, in writer chunks, if the engine's share starts at `start`. */
const makespan = (n, sent, start) => Math.max(n - sent - (n - start), ENGINE_WORK_PER_CHUNK * n + (n - start));

test('the real data x100: the last row group (12 of 124 chunks) is the engine worker\'s', () => {
  assert.equal(tailStart(124, 0, ROW_GROUP, 'strict'), 112);
});

test('no share when the writer has less left than the engine worker (x400: most chunks sent while reading)', () => {
  assert.equal(tailStart(496, 368, ROW_GROUP, 'strict'), 496);
});

test('no share in rubric mode, where the rules\' join makes the engine worker the last to finish', () => {
  assert.equal(tailStart(124, 0, ROW_GROUP, 'rubric'), 124);
});

test('no share in a table of one row group or less', () => {
  for (const n of [0, 1, 15, 16]) assert.equal(tailStart(n, 0, ROW_GROUP, 'strict'), n);
});

test('every start is a row group not yet sent, and ends the work soonest', () => {
  let shared = 0;
  for (let n = 0; n <= 700; n++) {
    for (const sent of [0, 1, 15, 16, 17, Math.floor(n / 3), Math.max(0, n - 128), n]) {
      if (sent > n) continue;
      const start = tailStart(n, sent, ROW_GROUP, 'strict');
      let best = makespan(n, sent, n);
      for (let s = ROW_GROUP; s < n; s += ROW_GROUP) if (s >= sent) best = Math.min(best, makespan(n, sent, s));
      assert.ok(makespan(n, sent, start) <= best + 1e-9, `${n}/${sent}: ${start} is not the best start`);
      if (start === n) continue;
      shared++;
      assert.ok(start % ROW_GROUP === 0 && start >= ROW_GROUP, `${n}/${sent}: ${start} is not a row group after the first`);
      assert.ok(start >= sent && start < n, `${n}/${sent}: ${start} outside the chunks not sent`);
    }
  }
  assert.ok(shared > 500, `only ${shared} cases had a share`);
});
