// @ts-check
// The page's side of the engine worker: starts it, and turns each request (`ask`) into a promise
// of its reply, with the worker's progress events passed to a callback on the way. The worker can
// be replaced (`restart`) when a wasm trap made it unusable or a run is cancelled; every request
// still pending then fails (`failAll`).
//
//   ui/* ──ask(REQUEST.x, payload, onEvent)──▶ Engine ──postMessage──▶ engine/worker.js
//   ui/* ◀──promise (reply) / onEvent (EVENT.PROGRESS, EVENT.FILE)── Engine ◀──message──
import { EVENT } from './protocol.js';

export class Engine {
  constructor() {
    this.nextId = 1;
    this.pending = new Map(); // id → {resolve, reject, onEvent}
    this.start();
  }

  start() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      if (data.type === EVENT.PROGRESS || data.type === EVENT.FILE) return p.onEvent?.(data);
      this.pending.delete(data.id);
      if (data.type === EVENT.ERROR) {
        if (data.fatal) this.restart();
        p.reject(Object.assign(new Error(data.message), { fatal: data.fatal }));
      } else p.resolve(data);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.failAll(new Error(`The engine's worker crashed (${e.message || 'no details'}). Your files are still listed: press Run to try again.`));
      this.restart();
    };
  }

  /** A fresh worker in place of the current one (which is stopped, wherever it is). */
  restart() {
    this.worker?.terminate();
    this.start();
  }

  /** Reject every pending request with `err`. */
  failAll(err) {
    for (const [, p] of this.pending) p.reject(err);
    this.pending.clear();
  }

  /** Stop whatever the worker is doing: pending requests fail as `cancelled`, a fresh worker starts. */
  cancel() {
    this.failAll(Object.assign(new Error('cancelled'), { cancelled: true }));
    this.restart();
  }

  /** Send a request (a REQUEST type); resolves to its reply, `onEvent` gets its progress events. */
  ask(type, payload = {}, onEvent) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ type, id, ...payload });
    });
  }
}
