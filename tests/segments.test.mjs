// Unit checks of how the reader worker cuts one Blob of files into windows and segments
// (web/engine/segments.js): every file's bytes arrive once, in order, each file ends exactly once,
// and empty files (first, between, last, at a window's edge, or all of them) are not lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covered, headFiles, segmenter, windows } from '../web/engine/segments.js';

/** Cut files of `sizes` with windows of `size` bytes (the first `first`, doubling); returns per file its [offset, length] pieces and how often it ended. */
function cutAll(sizes, size, first = size) {
  const total = sizes.reduce((a, b) => a + b, 0);
  const cut = segmenter(sizes);
  const files = sizes.map(() => ({ pieces: [], ends: 0, read: 0 }));
  let windowsSeen = 0;
  for (const [start, length] of windows(total, size, first)) {
    windowsSeen++;
    let at = 0; // segments of a window follow each other, from its first byte to its last
    for (const [index, from, n, last] of cut(length)) {
      assert.equal(from, at, `window at ${start}: segment of file ${index} starts at ${from}, not ${at}`);
      at += n;
      const f = files[index];
      assert.equal(f.ends, 0, `file ${index} continues after its last segment`);
      f.pieces.push([start + from, n]);
      f.read += n;
      if (last) f.ends++;
    }
    assert.equal(at, length, `window at ${start}: its ${length} bytes are all in segments`);
  }
  return { files, windowsSeen, total };
}

test('every file is cut into its bytes in order and ends once, whatever the window size', () => {
  const cases = [
    [0, 5, 0, 0, 7, 0],
    [0],
    [0, 0, 0],
    [16],
    [8, 8],
    [8, 0, 8, 0],
    [3, 17, 0, 40, 1, 0, 0, 9],
  ];
  for (const sizes of cases) {
    for (const [size, first] of [[1, 1], [2, 2], [3, 3], [8, 8], [16, 16], [100, 100], [8, 1], [16, 3], [100, 1]]) {
      const { files, windowsSeen, total } = cutAll(sizes, size, first);
      if (first === size) assert.equal(windowsSeen, Math.max(1, Math.ceil(total / size)), `${sizes} / ${size}: windows`);
      let offset = 0;
      sizes.forEach((n, i) => {
        assert.equal(files[i].ends, 1, `${sizes} / ${size}: file ${i} ends once`);
        assert.equal(files[i].read, n, `${sizes} / ${size}: file ${i} bytes`);
        for (const [from, len] of files[i].pieces) {
          assert.equal(from, offset, `${sizes} / ${size}: file ${i} piece in order`);
          offset += len;
        }
      });
      assert.equal(offset, total);
    }
  }
});

test('windows ramp up from the first length, doubling to the full one, and cover every byte once', () => {
  const lengths = (total, size, first) => [...windows(total, size, first)].map(([, n]) => n);
  assert.deepEqual(lengths(100, 16, 1), [1, 2, 4, 8, 16, 16, 16, 16, 16, 5]);
  assert.deepEqual(lengths(100, 16, 3), [3, 6, 12, 16, 16, 16, 16, 15]);
  assert.deepEqual(lengths(5, 16, 4), [4, 1]);
  assert.deepEqual(lengths(100, 16, 64), lengths(100, 16, 16), 'a first window beyond the full length is the full length');
  assert.deepEqual(lengths(10, 4, 0), [1, 2, 4, 3], 'a first window of no bytes is one byte');
  assert.deepEqual(lengths(0, 16, 1), [0], 'no bytes: one empty window');
  for (const [total, size, first] of [[1000, 64, 1], [1000, 64, 7], [65, 64, 64], [3, 64, 1]]) {
    let at = 0;
    for (const [start, n] of windows(total, size, first)) {
      assert.equal(start, at, `${total}/${size}/${first}: windows follow each other`);
      assert.ok(n >= 1 && n <= size, `${total}/${size}/${first}: a window of ${n} bytes`);
      at += n;
    }
    assert.equal(at, total);
  }
});

test('the first windows\' own Blob: the fewest first files that hold the head\'s bytes, or all of them', () => {
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  assert.equal(headFiles([], 64), 0, 'no files');
  assert.equal(headFiles([0, 0, 0], 64), 3, 'empty files: all of them (the head is the whole share)');
  assert.equal(headFiles([1000], 64), 1, 'one file larger than the head');
  assert.equal(headFiles([10, 20, 30], 64), 3, 'less than the head in all: all of them');
  assert.equal(headFiles([32, 32, 1], 64), 2, 'exactly the head');
  assert.equal(headFiles([0, 64, 0, 5], 64), 2, 'empty files after the head wait for the Blob of all');
  for (const sizes of [[3, 17, 0, 40, 1, 0, 0, 9], [16, 16, 16, 16, 16], [0, 0, 100], [63, 1, 1]]) {
    for (const head of [0, 1, 16, 63, 64, 65, 1000]) {
      const k = headFiles(sizes, head);
      const held = sum(sizes.slice(0, k));
      assert.ok(k === sizes.length || held >= head, `${sizes} / ${head}: the first ${k} files hold ${held} bytes`);
      assert.ok(k === 0 || sum(sizes.slice(0, k - 1)) < head, `${sizes} / ${head}: ${k} files are more than needed`);
      // A window read from the head's Blob when it ends within it: the same bytes as from all.
      const bytes = sizes.flatMap((n, i) => Array.from({ length: n }, (_, j) => `${i}:${j}`));
      for (const [start, length] of windows(bytes.length, 16, 1)) {
        const from = start + length <= held ? bytes.slice(0, held) : bytes;
        assert.deepEqual(from.slice(start, start + length), bytes.slice(start, start + length));
      }
    }
  }
});

test('the files a failed window covers: those with bytes in it', () => {
  const sizes = [4, 0, 4, 4, 0, 0, 4];
  assert.deepEqual(covered(sizes, 0, 4), [0]);
  assert.deepEqual(covered(sizes, 0, 5), [0, 2]);
  assert.deepEqual(covered(sizes, 4, 8), [2, 3]);
  assert.deepEqual(covered(sizes, 6, 1), [2]);
  assert.deepEqual(covered(sizes, 12, 4), [6]);
  assert.deepEqual(covered([0, 0], 0, 0), []);
});
