// @ts-check
// How the reader worker (engine/reader.js) reads a share of files as one Blob: the windows it reads
// (`windows`), how many first files a Blob of the first windows needs (`headFiles`), how each
// window is cut at file boundaries into segments (`segmenter`), and which files a failed window
// covers (`covered`). Pure functions of the files' sizes, unit-tested in
// tests/segments.test.mjs.

/**
 * The windows `[start, length]` of `total` bytes: the first `first` bytes long, each next one twice
 * the one before up to `size`, then `size` bytes each (the last shorter); no bytes at all: one empty
 * window, so that empty files still get their segments.
 * @param {number} total
 * @param {number} size
 * @param {number} [first] the first window's length (at least 1; default `size`)
 */
export function* windows(total, size, first = size) {
  let start = 0;
  let next = Math.max(1, Math.min(first, size));
  do {
    const length = Math.min(next, total - start);
    yield [start, length];
    start += length;
    next = Math.min(next * 2, size);
  } while (start < total);
}

/**
 * How many of the files of `sizes` bytes (end to end) a Blob of their first `bytes` bytes needs:
 * the fewest first files that hold at least that many bytes, or all of them. A window that ends
 * within those files' bytes can be read from a Blob of them alone.
 * @param {number[]} sizes
 * @param {number} bytes
 */
export function headFiles(sizes, bytes) {
  let k = 0;
  for (let at = 0; k < sizes.length && at < bytes; k++) at += sizes[k];
  return k;
}

/**
 * Cuts consecutive windows (in order) into segments `[file index, start in the window, length,
 * last]` of files of `sizes` bytes laid end to end. Every file gets at least one segment, and its
 * `last` is on the segment with its final byte; an empty file's only segment goes in the window
 * being cut when the cut reaches it (at a window's end, that window).
 * @param {number[]} sizes
 */
export function segmenter(sizes) {
  let index = 0; // the file being cut
  let done = 0; // its bytes already in a segment
  return (/** @type {number} */ length) => {
    /** @type {[number, number, number, boolean][]} */
    const out = [];
    let at = 0;
    while (index < sizes.length && (at < length || sizes[index] === done)) {
      const n = Math.min(sizes[index] - done, length - at);
      done += n;
      const last = done === sizes[index];
      out.push([index, at, n, last]);
      at += n;
      if (last) {
        index++;
        done = 0;
      }
    }
    return out;
  };
}

/**
 * The indexes of the files (of `sizes` bytes, end to end) with bytes in the window `[start,
 * start + length)`, in order: the files a failed read of that window may have failed on.
 * @param {number[]} sizes
 * @param {number} start
 * @param {number} length
 */
export function covered(sizes, start, length) {
  const out = [];
  for (let i = 0, at = 0; i < sizes.length && at < start + length; at += sizes[i], i++) {
    if (sizes[i] > 0 && at + sizes[i] > start) out.push(i);
  }
  return out;
}
