// Unit checks of web/engine/landing-share.js. Where the engine worker's share of the
// accelerometer landing table starts (`tailStart`): always on a row group the landing writer has
// not been sent, never the whole table, and the start that ends the two workers' work soonest
// under the rule's cost model, found here by trying every start. What the engine worker posts
// to the writer (`landingSender`, against a stand-in Lake): every chunk before the share once,
// in order, after its strings, then exactly one FINISH, with the share's tail when there is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINE_WORK_PER_CHUNK, landingSender, tailStart } from '../web/engine/landing-share.js';
import { LANDING } from '../web/engine/protocol.js';

const ROW_GROUP = 16; // Lake.rowGroupChunks()

/** When the later of the two workers is done, in writer chunks, if the engine's share starts at `start`. */
const makespan = (n, sent, start) => Math.max(n - sent - (n - start), ENGINE_WORK_PER_CHUNK * n + (n - start));

test('the real data x100: the last row group (13 of 125 chunks) is the engine worker\'s', () => {
  assert.equal(tailStart(125, 0, ROW_GROUP, 'strict'), 112);
});

test('no share when the writer has less left than the engine worker (x400: most chunks sent while reading)', () => {
  assert.equal(tailStart(497, 368, ROW_GROUP, 'strict'), 497);
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

/**
 * A stand-in for the Lake as landingSender reads it: `full` full chunks of `table` so far and
 * `total` in all (the last one short when they differ), `strings` interned so far.
 */
function fakeLake() {
  const lake = {
    full: 0, total: 0, strings: 0,
    landingChunks: (/** @type {string} */ t, /** @type {boolean} */ fullOnly) => (t === 'acc' ? (fullOnly ? lake.full : lake.total) : 0),
    landingStringCounts: () => [lake.strings, 0],
    landingStrings: (/** @type {number} */ from) => [from, lake.strings], // (the Lake gives bytes; numbers here, past 255)
    copied: /** @type {number[]} */ ([]), // the chunks taken out of the Lake, in order
    landingChunk: (/** @type {string} */ t, /** @type {number} */ k) => { lake.copied.push(k); return Uint8Array.of(k); },
    landingTail: (/** @type {string} */ t, /** @type {number} */ from) => Uint8Array.of(from, lake.total),
  };
  return lake;
}

/** Run a sender through a run of `total` chunks, `held` of them waiting; returns what it posted and sendTail's count. */
function simulate({ total, held, mode = 'strict', split = true, failAt = '' }) {
  const posted = [];
  const sender = landingSender((message) => posted.push(message), 'acc', held, ROW_GROUP);
  const lake = fakeLake();
  for (let full = 1; full <= total; full++) { // reading: one chunk fills at a time
    lake.full = full;
    lake.total = full;
    lake.strings = full * 3;
    sender.send(lake);
    if (failAt === 'reading' && full === 2) sender.fail();
  }
  lake.total = total + 1; // a last, short chunk
  sender.sendRest(lake, mode, split);
  const before = { ...lake };
  Object.assign(lake, { full: lake.total + 40, total: lake.total + 40 });
  sender.send(lake); // a late progress callback, even one that sees more chunks: nothing may go
  Object.assign(lake, { full: before.full, total: before.total });
  if (failAt === 'rules') sender.fail();
  const tail = sender.sendTail(lake);
  const again = sender.sendTail(lake);
  return { posted, tail, again, sentWhileReading: sender.sentWhileReading, copied: lake.copied, n: lake.total };
}

test('the sender posts each chunk before the share once, in order, strings first, then exactly one FINISH', () => {
  let shares = 0;
  for (const total of [0, 1, 15, 16, 17, 40, 123, 200]) {
    for (const held of [0, 1, 16, 128]) {
      for (const [mode, split] of [['strict', true], ['strict', false], ['rubric', true]]) {
        const { posted, tail, again, sentWhileReading, copied, n } = simulate({ total, held, mode, split });
        const chunks = posted.filter((m) => m.type === LANDING.CHUNK).map((m) => m.bytes[0]);
        const finishes = posted.filter((m) => m.type === LANDING.FINISH);
        const from = split ? tailStart(n, sentWhileReading, ROW_GROUP, mode) : n;
        const what = `${total}+1 chunks, held ${held}, ${mode}, split ${split}`;
        assert.deepEqual(copied, chunks, `${what}: each chunk posted is taken out of the Lake once, none other`);
        // Every chunk after the strings it needs (the stand-in's chunk k: those interned when it
        // filled, 3(k+1); the short last one: all of them).
        let stringsSent = 0;
        for (const m of posted) {
          if (m.type === LANDING.STRINGS) {
            assert.equal(m.bytes[0], stringsSent, `${what}: strings sent from where the last ones ended`);
            stringsSent = m.bytes[1];
          }
          if (m.type === LANDING.CHUNK) assert.ok(stringsSent >= Math.min(3 * (m.bytes[0] + 1), 3 * total), `${what}: chunk ${m.bytes[0]} before its strings`);
        }
        assert.deepEqual(chunks, [...Array(from).keys()], `${what}: chunks 0..${from} in order, once`);
        assert.equal(sentWhileReading, Math.max(0, total - held), `${what}: sent while reading`);
        assert.equal(finishes.length, 1, `${what}: one FINISH`);
        assert.equal(posted.at(-1).type, LANDING.FINISH, `${what}: FINISH last`);
        assert.equal(tail, n - from, `${what}: the share's chunks`);
        assert.equal(again, 0, `${what}: the share goes once`);
        if (from < n) {
          shares++;
          assert.deepEqual([...finishes[0].tail], [from, n], `${what}: the tail from the share's first chunk`);
        } else assert.equal(finishes[0].tail, undefined, what);
        // Strings before the chunks that need them: each CHUNK follows a STRINGS sent since the last chunk's batch.
        const firstChunk = posted.findIndex((m) => m.type === LANDING.CHUNK);
        if (firstChunk >= 0) assert.equal(posted[firstChunk - 1].type, LANDING.STRINGS, what);
      }
    }
  }
  assert.ok(shares >= 4, `only ${shares} runs had a share`);
});

test('after the writer fails, nothing more is sent and there is no share', () => {
  const reading = simulate({ total: 40, held: 0, failAt: 'reading' });
  assert.equal(reading.posted.filter((m) => m.type === LANDING.CHUNK).length, 2, 'the chunks before the failure');
  assert.equal(reading.posted.filter((m) => m.type === LANDING.FINISH).length, 0);
  assert.equal(reading.tail, 0);
  const rules = simulate({ total: 123, held: 128, failAt: 'rules' });
  assert.equal(rules.tail, 0, 'no share encoded for a writer that failed');
  assert.ok(!rules.posted.some((m) => m.type === LANDING.FINISH && m.tail), 'no tail sent');
});
