// @ts-check
// Small helpers every part of the page uses: building elements whose data is text (never parsed
// as HTML), number and size formats, the status line and the error box, and saving a Blob.
//
//   ui/* ── h(tag, attrs, ...text or nodes) ──▶ DOM;  setStatus / showError ──▶ #status, #error
/** The page's element for `sel` (the page's own markup: it is there). @type {(sel: string) => any} */
export const $ = (sel) => document.querySelector(sel);

/** Build an element; string children become text nodes (never parsed as HTML). */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

export const fmt = (n) => Number(n).toLocaleString('en-US');
export const mb = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1e3))} KB`);

export function setStatus(text) { $('#status').textContent = text; }
export function showError(text) { const e = $('#error'); e.textContent = text; e.hidden = !text; }

/** Offer `blob` as a download named `filename`. */
export function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Run an async UI action; its failure (unless a cancel) is shown in the error box. */
export async function guarded(fn) {
  try { await fn(); } catch (err) { if (!err.cancelled) showError(err.message); }
}
