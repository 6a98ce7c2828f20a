// What growing a wasm memory costs in this Node's V8, by step policy: the measurement behind
// `crate/src/wasm_alloc.rs` (the wasm build grows its memory in steps of 1/16 of its size, min
// 4 MiB, instead of the standard library allocator's one grow per request, e.g. per 512 KiB
// column chunk). Each policy grows a fresh memory from ~1 MiB to 1 GiB; prints the grows and
// their time. Usage: node bench/wasm_grow.mjs [rounds=2]
const PAGE = 64 * 1024;
const GIB = 1 << 30;
const rounds = Number(process.argv[2] ?? 2);

/** Grow a fresh memory to 1 GiB, `step(pages)` pages at a time: [grows, milliseconds]. */
function grow(step) {
  const m = new WebAssembly.Memory({ initial: 17, maximum: 65536 });
  let grows = 0;
  const t = performance.now();
  while (m.buffer.byteLength < GIB) {
    m.grow(step(m.buffer.byteLength / PAGE));
    grows += 1;
  }
  return [grows, performance.now() - t];
}

const policies = {
  'one grow per 512 KiB request (before)': () => 8,
  'one grow per 4 MiB request': () => 64,
  '1/16 of the memory, min 4 MiB (kept)': (pages) => Math.max(64, Math.ceil(pages / 16)),
  '1/8 of the memory, min 4 MiB': (pages) => Math.max(64, Math.ceil(pages / 8)),
};
for (let r = 1; r <= rounds; r++) {
  for (const [name, step] of Object.entries(policies)) {
    const [grows, ms] = grow(step);
    console.log(`round ${r}: ${name}: ${grows} grows to 1 GiB in ${ms.toFixed(1)} ms`);
  }
}
