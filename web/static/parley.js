/*
 * parley.js: a small, dependency-free client for the Parley HTTP API.
 * Plain ES2017; load it with a classic <script> tag and use window.Parley.
 *
 *   const c = new Parley.Client({rooms: ['lobby'], last: 50});
 *   c.on('message', m => ...);   // every kind: message, join, leave, notice
 *   c.on('state', s => ...);     // 'connecting' | 'live' | 'reconnecting' | 'closed'
 *   c.connect();
 *   c.send('lobby', 'hello', 'ada').then(m => ..., err => err.code);
 *
 * The Client owns the cursor (the highest message id seen), de-duplication
 * and reconnection. A transport only opens one connection and reports what
 * happens on it; it never reconnects by itself. That keeps resuming exact
 * (from the Client's cursor) and lets other transports (WebSocket, long
 * polling) plug in behind the same small interface:
 *
 *   transport.open({base, rooms, cursor, last}, {open, message, error})
 *     -> {close()}
 *
 * `open()` is called once the stream is established, `message(m)` for each
 * message object, `error(err)` once when the connection is lost (after which
 * the transport must stay silent).
 */
(function (global) {
  'use strict';

  const STATES = ['connecting', 'live', 'reconnecting', 'closed'];
  const KINDS = ['message', 'join', 'leave', 'notice'];

  // ---- transports -------------------------------------------------------

  // Server-Sent Events over EventSource. EventSource reconnects on its own,
  // but then it resumes from its own Last-Event-ID and hides the outage from
  // us; so on the first error we close it and let the Client decide.
  const sse = {
    name: 'sse',
    open(opts, on) {
      const q = ['rooms=' + opts.rooms.map(encodeURIComponent).join(',')];
      if (opts.cursor != null) {
        q.push('lastEventId=' + encodeURIComponent(String(opts.cursor)));
      } else if (opts.last > 0) {
        q.push('last=' + encodeURIComponent(String(opts.last)));
      }
      const es = new EventSource(opts.base + '/api/events?' + q.join('&'));
      let done = false;
      const onEvent = (ev) => {
        if (done) return;
        let m;
        try {
          m = JSON.parse(ev.data);
        } catch (err) {
          return; // not ours to crash on; the next event is independent
        }
        on.message(m);
      };
      KINDS.forEach((k) => es.addEventListener(k, onEvent));
      es.onopen = () => { if (!done) on.open(); };
      es.onerror = () => {
        if (done) return;
        done = true;
        es.close();
        on.error(new Error('event stream lost'));
      };
      return {
        close() {
          done = true;
          es.close();
        },
      };
    },
  };

  const transports = { sse };

  // ---- errors and HTTP --------------------------------------------------

  // ParleyError carries the server's {error: {code, message}}; status is the
  // HTTP status, or 0 when the request never got an answer.
  class ParleyError extends Error {
    constructor(message, code, status, retryAfter) {
      super(message);
      this.name = 'ParleyError';
      this.code = code;
      this.status = status;
      this.retryAfter = retryAfter; // seconds, from Retry-After, or null
    }
    // Worth retrying: no answer at all, the server is overloaded or broken,
    // or asked us to slow down. Other 4xx will fail the same way again.
    get retryable() {
      return this.status === 0 || this.status === 429 || this.status === 408 || this.status >= 500;
    }
  }

  async function request(method, url, body, timeoutMs) {
    const ctl = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = ctl && timeoutMs > 0 ? setTimeout(() => ctl.abort(), timeoutMs) : null;
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (ctl) init.signal = ctl.signal;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (err) {
      const why = err && err.name === 'AbortError' ? 'request timed out' : 'network error';
      throw new ParleyError(why, 'network', 0, null);
    } finally {
      if (timer) clearTimeout(timer);
    }
    let data = null;
    try {
      data = await res.json();
    } catch (err) {
      data = null; // e.g. a proxy's HTML error page
    }
    if (res.ok) return data;
    const e = (data && data.error) || {};
    const ra = parseInt(res.headers.get('Retry-After') || '', 10);
    throw new ParleyError(
      e.message || 'HTTP ' + res.status,
      e.code || 'http_' + res.status,
      res.status,
      isNaN(ra) ? null : ra,
    );
  }

  // ---- client -----------------------------------------------------------

  // backoff returns the delay before reconnect attempt n (0-based):
  // exponential with "equal jitter", so many clients dropped at once by a
  // restart do not come back in lockstep.
  function backoff(n, baseMs, maxMs) {
    const cap = Math.min(maxMs, baseMs * Math.pow(2, n));
    return cap / 2 + Math.random() * (cap / 2);
  }

  class Client {
    constructor(opts) {
      const o = opts || {};
      this.base = (o.base || '').replace(/\/+$/, '');
      this.rooms = (o.rooms && o.rooms.length ? o.rooms : ['lobby']).slice();
      this.last = o.last == null ? 50 : o.last;
      this.sendTimeout = o.sendTimeout == null ? 15000 : o.sendTimeout;
      this.backoffBase = o.backoffBase || 500;
      this.backoffMax = o.backoffMax || 30000;
      this.transport = typeof o.transport === 'object' ? o.transport : transports[o.transport || 'sse'];
      if (!this.transport) throw new Error('parley: unknown transport ' + o.transport);

      this._cursor = o.cursor == null ? null : Number(o.cursor);
      this._state = 'closed';
      this._handlers = {};
      this._conn = null;
      this._timer = null;
      this._attempt = 0;
      this._liveSince = 0;
      this._wanted = false; // connect() called and close() not since
      this._onOnline = () => {
        // The network came back: do not wait out the backoff.
        if (this._state === 'reconnecting') this._open();
      };
    }

    get state() { return this._state; }
    get cursor() { return this._cursor; }

    on(type, fn) {
      (this._handlers[type] = this._handlers[type] || []).push(fn);
      return this;
    }

    off(type, fn) {
      const hs = this._handlers[type];
      if (hs) this._handlers[type] = hs.filter((h) => h !== fn);
      return this;
    }

    _emit(type, arg) {
      (this._handlers[type] || []).slice().forEach((fn) => {
        try {
          fn(arg);
        } catch (err) {
          // A bad handler must not kill the stream or the other handlers.
          setTimeout(() => { throw err; });
        }
      });
    }

    _setState(s) {
      if (STATES.indexOf(s) < 0 || s === this._state) return;
      this._state = s;
      this._emit('state', s);
    }

    connect() {
      if (this._wanted) return this;
      this._wanted = true;
      if (typeof window !== 'undefined') window.addEventListener('online', this._onOnline);
      this._setState('connecting');
      this._open();
      return this;
    }

    close() {
      this._wanted = false;
      if (typeof window !== 'undefined') window.removeEventListener('online', this._onOnline);
      this._stop();
      this._setState('closed');
    }

    // setRooms changes the subscription. The stream is reopened at once and
    // resumes from the cursor; messages of newly added rooms that are older
    // than the cursor are history (fetch them with history()).
    setRooms(rooms) {
      const next = Array.from(new Set(rooms));
      if (next.join(',') === this.rooms.join(',')) return;
      this.rooms = next;
      if (!this._wanted) return;
      this._stop();
      this._attempt = 0;
      this._setState('connecting');
      this._open();
    }

    _stop() {
      clearTimeout(this._timer);
      this._timer = null;
      if (this._conn) {
        this._conn.close();
        this._conn = null;
      }
    }

    _open() {
      this._stop();
      const conn = this.transport.open(
        { base: this.base, rooms: this.rooms, cursor: this._cursor, last: this.last },
        {
          open: () => {
            if (this._conn !== conn) return;
            this._liveSince = Date.now();
            this._setState('live');
          },
          message: (m) => {
            if (this._conn === conn) this._receive(m);
          },
          error: (err) => {
            if (this._conn !== conn) return;
            this._conn = null;
            this._retry(err);
          },
        },
      );
      this._conn = conn;
    }

    _receive(m) {
      if (!m || typeof m.id !== 'number') return;
      // IDs increase in commit order and the server replays in order, so
      // anything at or below the cursor was already delivered.
      if (this._cursor != null && m.id <= this._cursor) return;
      this._cursor = m.id;
      this._emit('message', m);
    }

    _retry(err) {
      // A connection that stayed up a while was healthy: start the backoff
      // over. One that dies right after opening keeps backing off.
      if (this._liveSince && Date.now() - this._liveSince > 10000) this._attempt = 0;
      this._liveSince = 0;
      const delay = backoff(this._attempt++, this.backoffBase, this.backoffMax);
      this._setState('reconnecting');
      this._emit('error', err);
      this._timer = setTimeout(() => {
        this._timer = null;
        if (this._wanted) this._open();
      }, delay);
    }

    // send posts a chat line. It resolves with the stored message and
    // rejects with a ParleyError (code, status, message from the server).
    send(room, text, name) {
      return request('POST', this.base + '/api/rooms/' + encodeURIComponent(room) + '/messages',
        { text, name }, this.sendTimeout);
    }

    // history resolves with up to limit messages of room, ascending by id.
    // Pass {before: id} or {after: id} to page.
    history(room, opts) {
      const o = opts || {};
      const q = ['limit=' + (o.limit || 50)];
      if (o.before != null) q.push('before=' + o.before);
      if (o.after != null) q.push('after=' + o.after);
      return request('GET', this.base + '/api/rooms/' + encodeURIComponent(room) + '/messages?' + q.join('&'),
        undefined, this.sendTimeout).then((d) => (d && d.messages) || []);
    }

    listRooms() {
      return request('GET', this.base + '/api/rooms', undefined, this.sendTimeout)
        .then((d) => (d && d.rooms) || []);
    }

    createRoom(name) {
      return request('POST', this.base + '/api/rooms', { name }, this.sendTimeout);
    }
  }

  global.Parley = { Client, ParleyError, transports, backoff };
})(typeof window !== 'undefined' ? window : globalThis);
