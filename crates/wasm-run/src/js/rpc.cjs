// A JSON-over-WebSocket client for the browser driver (browser.cjs):
// Chromium's DevTools protocol (browser-cdp.cjs) and Firefox's WebDriver
// BiDi (browser-bidi.cjs) share this framing.
'use strict';

// One JSON WebSocket connection to a browser: the DevTools protocol
// (responses `{id, result | error}`, events `{method, params, sessionId}`)
// or WebDriver BiDi (responses `{type, id, result | error, message}`,
// events `{type: "event", method, params}`).
class Rpc {
  constructor(url, what) {
    this.nextId = 0;
    this.pending = new Map();
    this.listeners = [];
    this.closed = false;
    this.what = what;
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = (e) => reject(new Error(`cannot connect to the browser's ${what} at ${url}: ${e.message || e.type}`));
    });
    this.ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.message || msg.error.message || msg.error}`));
        else p.resolve(msg.result);
      } else {
        for (const l of this.listeners) l(msg);
      }
    };
    this.ws.onclose = () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error(`the browser closed the ${what} connection`));
      this.pending.clear();
    };
  }
  send(method, params = {}, sessionId = undefined) {
    if (this.closed) return Promise.reject(new Error(`the browser closed the ${this.what} connection`));
    const id = ++this.nextId;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    this.ws.send(JSON.stringify(msg));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
  }
  on(fn) {
    this.listeners.push(fn);
  }
}

module.exports = { Rpc };
