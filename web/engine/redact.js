// @ts-check
// What the engine worker may say to the page about a failure: presigned URLs' signatures cut
// (the core's one rule, Lake.redactText) and a wasm trap told apart from an ordinary error.
//
//   engine/worker.js, engine/upload.js ── err ──▶ describe / redact ──▶ {message, fatal} to the page
import { Lake } from '../../pkg/stedi_lake.js';

/** The one redaction rule (in the core, `manifest::redact_in_text`); before wasm is up, cut every query. */
export function redact(text) {
  try {
    return Lake.redactText(text);
  } catch {
    return text.replace(/(https?:\/\/[^\s?#"']*)[?#][^\s"']*/g, '$1?[signature removed]');
  }
}

/** A wasm trap (panic, out of memory) leaves the instance unusable (`fatal`): say so, plainly. */
export function describe(err) {
  const text = String(err?.message ?? err);
  if (err instanceof WebAssembly.RuntimeError || /unreachable|out of memory|memory access out of bounds|Memory.grow/i.test(text)) {
    const oom = /memory/i.test(text) || err instanceof RangeError;
    return {
      fatal: true,
      message: oom || /unreachable/.test(text)
        ? `The engine ran out of memory or stopped (${redact(text)}). The browser limits a tab's WebAssembly memory to 4 GB: try fewer or smaller files, or the native CLI for very large sets.`
        : `The engine stopped unexpectedly (${redact(text)}).`,
    };
  }
  return { fatal: false, message: redact(text) };
}
