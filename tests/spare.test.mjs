// Unit checks of the workers started before their run (web/engine/spare.js), with a stand-in
// Worker: a started spare is the one taken, one at a time; none started: a new one; a spare whose
// module failed to load before it was taken is never handed out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spare } from '../web/engine/spare.js';

/** A stand-in Worker that records what happens to it. */
class FakeWorker extends EventTarget {
  static made = 0;
  constructor(url) {
    super();
    this.url = url;
    this.n = ++FakeWorker.made;
    this.terminated = false;
  }

  terminate() {
    this.terminated = true;
  }

  /** Its module failed: an error event, returned (cancelled or not). */
  fail() {
    const e = new Event('error', { cancelable: true });
    this.dispatchEvent(e);
    return e;
  }
}

const url = new URL('https://example.test/reader.js');
const make = (u) => new FakeWorker(u);

test('a started spare is the worker taken, and the next start makes another', () => {
  FakeWorker.made = 0;
  const s = spare(url, make);
  s.start();
  s.start(); // one spare at a time
  assert.equal(FakeWorker.made, 1);
  const first = s.take();
  assert.equal(first.n, 1);
  assert.equal(first.url, url);
  assert.equal(FakeWorker.made, 1, 'taking the spare makes no other worker');
  s.start();
  assert.equal(FakeWorker.made, 2);
  const second = s.take();
  assert.equal(second.n, 2);
  assert.notEqual(second, first);
  assert.ok(!first.terminated && !second.terminated);
});

test('with no spare started, take makes a new worker each time', () => {
  FakeWorker.made = 0;
  const s = spare(url, make);
  const a = s.take();
  const b = s.take();
  assert.notEqual(a, b);
  assert.equal(FakeWorker.made, 2);
});

test('a spare that failed before it was taken is ended and replaced; a failure after is the run\'s', () => {
  /** @type {FakeWorker[]} */
  const made = [];
  const s = spare(url, (u) => {
    const w = new FakeWorker(u);
    made.push(w);
    return w;
  });
  s.start();
  const error = made[0].fail(); // its module failed to load while it waited
  assert.ok(error.defaultPrevented, 'the spare\'s error goes no further (the page would restart the engine)');
  const taken = s.take();
  assert.equal(made.length, 2);
  assert.ok(made[0].terminated, 'the failed spare is ended');
  assert.equal(taken, made[1], 'a failed spare is never handed out');
  assert.ok(!taken.terminated);
  // A failure after the worker was taken reaches the run's own handlers; the next spare is fresh.
  taken.fail();
  s.start();
  const next = s.take();
  assert.equal(next, made[2]);
  assert.ok(!next.terminated && !taken.terminated);
});
