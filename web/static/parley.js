/*
 * parley.js: a small, dependency-free client for the Parley HTTP API.
 * Plain ES2017; load it with a classic <script> tag and use window.Parley.
 *
 *   const c = new Parley.Client({rooms: ['lobby'], last: 50});
 *   c.on('message', m => ...);   // every kind: message, join, leave, notice, and the changes
 *                                // edit, react, unreact, delete (m.ref is the message changed)
 *   c.on('state', s => ...);     // 'connecting' | 'live' | 'reconnecting' | 'closed'
 *   c.on('members', e => ...);   // {room, members: [{name, guest}]}: who is online
 *   c.on('signal', s => ...);    // with {watch: ['typing', 'rooms']}: {kind, room, from?, text?}
 *   c.connect();
 *   c.send('lobby', 'hello', 'ada').then(m => ..., err => err.code);
 *   c.search('budget', {room: 'lobby'}).then(({results, next}) => ...);
 *
 * Transports: WebSocket ('ws'), Server-Sent Events ('sse') and long
 * polling ('poll', over fetch, or JSONP for old proxies and other origins
 * without CORS). With transport 'auto' (the default) the Client tries them
 * in that order and falls back when one fails before it ever got live.
 *
 * The Client owns the cursor (the highest message id seen), de-duplication,
 * transport choice and reconnection. A transport only opens one connection
 * and reports what happens on it; it never reconnects by itself. That keeps
 * resuming exact (from the Client's cursor) on every transport:
 *
 *   transport.open({base, rooms, watch, cursor, last, credentials, jsonp, pollTimeout, session, name},
 *                  {open, message, signal, members, cursor, session, error})
 *     -> {close(), send?(room, text, name, timeoutMs) -> Promise}
 *
 * `open()` is called once the stream is established (live), `message(m)`
 * for each message object, `members({room, members})` for each member list
 * the server sends (control data: it has no id and never moves the
 * cursor), `signal(s)` for each signal the stream watches (typing, room
 * list changes: no id either), `cursor(id)` when the server vouches that every message up to
 * id has been delivered, `session(sid)` when a long-poll session is handed
 * out, `error(err)` once when the connection is lost (after which the
 * transport must stay silent).
 */
(function (global) {
  'use strict';

  const STATES = ['connecting', 'live', 'reconnecting', 'closed'];
  // SSE event names: the kinds of log entry. edit, react, unreact and
  // delete change an earlier message (their ref).
  const KINDS = ['message', 'join', 'leave', 'notice', 'delete', 'edit', 'react', 'unreact'];
  const SIGNALS = ['typing', 'rooms']; // SSE event names of signals: no id, never stored
  const AUTO = ['ws', 'sse', 'poll']; // best first

  // ---- errors -----------------------------------------------------------

  // ParleyError carries the server's {error: {code, message}}; status is the
  // HTTP status, or 0 when the request never got an answer.
  class ParleyError extends Error {
    constructor(message, code, status, retryAfter) {
      super(message);
      this.name = 'ParleyError';
      this.code = code;
      this.status = status;
      this.retryAfter = retryAfter == null ? null : retryAfter; // seconds, or null
    }
    // Worth retrying: no answer at all, the server is overloaded or broken,
    // or asked us to slow down. Other 4xx will fail the same way again.
    get retryable() {
      return this.status === 0 || this.status === 429 || this.status === 408 || this.status >= 500;
    }
  }

  // Error codes that arrive without an HTTP status (WebSocket frames, JSONP
  // bodies) get the status docs/API.md gives them, so that `retryable`
  // means the same on every transport.
  const CODE_STATUS = {
    invalid: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409,
    too_large: 413, unsupported_media_type: 415, rate_limited: 429, unavailable: 503, internal: 500,
  };

  function errorFrom(e, status) {
    const o = e || {};
    return new ParleyError(o.message || 'HTTP ' + status, o.code || 'http_' + status,
      status || CODE_STATUS[o.code] || 500, typeof o.retry_after === 'number' ? o.retry_after : null);
  }

  const networkError = (why) => new ParleyError(why, 'network', 0, null);

  // ---- HTTP -------------------------------------------------------------

  // request does one fetch with a timeout. o: {body, timeout (ms),
  // credentials, signal (to cancel)}. It resolves with the decoded JSON of a
  // 2xx answer and rejects with a ParleyError.
  async function request(method, url, o) {
    const ctl = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = ctl && o.timeout > 0 ? setTimeout(() => ctl.abort(), o.timeout) : null;
    if (ctl && o.signal) o.signal.addEventListener('abort', () => ctl.abort(), { once: true });
    const init = { method, headers: { Accept: 'application/json' }, credentials: o.credentials || 'same-origin' };
    if (ctl) init.signal = ctl.signal;
    if (o.body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(o.body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (err) {
      // A refused connection and a CORS refusal look the same from here.
      if (o.signal && o.signal.aborted) throw networkError('request cancelled');
      throw networkError(err && err.name === 'AbortError' ? 'request timed out' : 'network error');
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
    const ra = parseInt(res.headers.get('Retry-After') || '', 10);
    const e = errorFrom(data && data.error, res.status);
    e.retryAfter = isNaN(ra) ? null : ra;
    throw e;
  }

  // JSONP: the answer is a script calling Parley._jsonp.cN(data). Each call
  // gets its own name, removed after the answer; a call that timed out or
  // was cancelled leaves a no-op behind, so that a late answer still finds
  // a function (and then removes it).
  const callbacks = {};
  let jsonpSeq = 0;

  function jsonp(url, timeoutMs, signal) {
    return new Promise((resolve, reject) => {
      const name = 'c' + (++jsonpSeq);
      const s = document.createElement('script');
      let timer = null;
      let settled = false;
      // finish settles once. late: an answer may still come and must find
      // a function to call.
      const finish = (late, err, data) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.onerror = null;
        s.remove();
        if (late) callbacks[name] = () => { delete callbacks[name]; };
        else delete callbacks[name];
        if (err) reject(err);
        else resolve(data);
      };
      // Errors come as {status, error: {code, message}}, with HTTP 200.
      callbacks[name] = (data) => {
        if (data && data.error) finish(false, errorFrom(data.error, data.status));
        else finish(false, null, data);
      };
      // No status is visible to a script tag: an HTTP error or a refused
      // connection both end here.
      s.onerror = () => finish(false, networkError('network error'));
      if (timeoutMs > 0) timer = setTimeout(() => finish(true, networkError('request timed out')), timeoutMs);
      if (signal) signal.addEventListener('abort', () => finish(true, networkError('cancelled')), { once: true });
      s.async = true;
      s.src = url + (url.indexOf('?') < 0 ? '?' : '&') + 'callback=Parley._jsonp.' + name;
      // A script added before the page's load event delays that event; a
      // chain of held polls would delay it forever. So wait for it.
      const go = () => { if (!settled) (document.head || document.documentElement).appendChild(s); };
      if (document.readyState === 'complete') go();
      else global.addEventListener('load', go, { once: true });
    });
  }

  // ---- small helpers ----------------------------------------------------

  function pageOrigin() {
    return typeof location !== 'undefined' && location.origin ? location.origin : '';
  }

  // isCrossOrigin tells whether base names another origin than the page's.
  function isCrossOrigin(base) {
    if (!base) return false;
    try {
      return new URL(base, pageOrigin() || undefined).origin !== pageOrigin();
    } catch (err) {
      return true;
    }
  }

  // streamQuery is the query shared by the transports: the rooms, where to
  // start (after the cursor, or the last N messages as context), and the
  // guest's name for presence (a logged-in stream is present as its user).
  function streamQuery(opts, cursorParam) {
    const q = ['rooms=' + opts.rooms.map(encodeURIComponent).join(',')];
    if (opts.watch && opts.watch.length) q.push('watch=' + opts.watch.map(encodeURIComponent).join(','));
    if (opts.cursor != null) {
      q.push(cursorParam + '=' + encodeURIComponent(String(opts.cursor)));
    } else if (opts.last > 0) {
      q.push('last=' + encodeURIComponent(String(opts.last)));
    }
    if (opts.name) q.push('name=' + encodeURIComponent(opts.name));
    return q;
  }

  // memberList checks a member list from the server: [{name, guest}], with
  // anything malformed left out.
  function memberList(list) {
    if (!Array.isArray(list)) return null;
    return list.filter((p) => p && typeof p.name === 'string' && p.name !== '')
      .map((p) => ({ name: p.name, guest: p.guest === true }));
  }

  // membersEvent turns the server's {room, members} into the 'members'
  // event, or null when it is malformed.
  function membersEvent(room, list) {
    const members = memberList(list);
    return typeof room === 'string' && members ? { room, members } : null;
  }

  // ---- transport: Server-Sent Events ------------------------------------

  // EventSource reconnects on its own, but then it resumes from its own
  // Last-Event-ID and hides the outage from us; so on the first error we
  // close it and let the Client decide.
  const sse = {
    name: 'sse',
    open(opts, on) {
      const es = new EventSource(opts.base + '/api/events?' + streamQuery(opts, 'lastEventId').join('&'),
        { withCredentials: opts.credentials === 'include' });
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
      // A signal has no id: EventSource keeps its Last-Event-ID.
      SIGNALS.forEach((k) => es.addEventListener(k, (ev) => {
        if (done) return;
        let s;
        try {
          s = JSON.parse(ev.data);
        } catch (err) {
          return;
        }
        on.signal(s);
      }));
      // "event: members" has no id: EventSource keeps its Last-Event-ID, and
      // the Client's cursor moves only with messages.
      es.addEventListener('members', (ev) => {
        if (done) return;
        let d;
        try {
          d = JSON.parse(ev.data);
        } catch (err) {
          return;
        }
        const e = d && membersEvent(d.room, d.members);
        if (e) on.members(e);
      });
      es.onopen = () => { if (!done) on.open(); };
      es.onerror = () => {
        if (done) return;
        done = true;
        es.close();
        on.error(networkError('event stream lost'));
      };
      return {
        close() {
          done = true;
          es.close();
        },
      };
    },
  };

  // ---- transport: WebSocket ---------------------------------------------

  // wsURL turns the HTTP base into the ws: or wss: address of /api/ws.
  function wsURL(base) {
    return new URL(base + '/api/ws', pageOrigin() || undefined).href.replace(/^http/, 'ws');
  }

  const ws = {
    name: 'ws',
    open(opts, on) {
      const sock = new WebSocket(wsURL(opts.base) + '?' + streamQuery(opts, 'cursor').join('&'));
      const pending = new Map(); // ref -> {resolve, reject, timer}
      let done = false;
      let seq = 0;
      let reason = null; // an error frame without a ref: why the server is closing

      const settle = (ref, err, msg) => {
        const p = pending.get(ref);
        if (!p) return;
        pending.delete(ref);
        clearTimeout(p.timer);
        if (err) p.reject(err);
        else p.resolve(msg);
      };
      const end = () => {
        done = true;
        // The server may or may not have committed these; the caller decides
        // (a retry, or the line showing up on the stream).
        pending.forEach((p, ref) => settle(ref, networkError('connection lost before the server answered')));
      };

      sock.onmessage = (ev) => {
        if (done) return;
        let f;
        try {
          f = JSON.parse(ev.data);
        } catch (err) {
          return;
        }
        if (!f || typeof f !== 'object') return;
        if (f.type == null) { // an event: a bare Message, or a signal (no id)
          if (typeof f.id === 'number') on.message(f);
          else on.signal(f);
          return;
        }
        switch (f.type) {
          case 'ready':
            on.open();
            // Without a cursor or context to replay, the stream starts at
            // the server's cursor: resume from there.
            if (opts.cursor == null && !(opts.last > 0) && typeof f.cursor === 'number') on.cursor(f.cursor);
            break;
          case 'ack':
            settle(f.ref, null, f.message);
            break;
          case 'members': {
            const e = membersEvent(f.room, f.members);
            if (e) on.members(e);
            break;
          }
          case 'error':
            if (f.ref != null && pending.has(f.ref)) settle(f.ref, errorFrom(f.error, 0));
            else reason = errorFrom(f.error, 0);
            break;
          default: // subscribed, unsubscribed, and frames of later versions
        }
      };
      sock.onclose = (ev) => {
        if (done) return;
        end();
        on.error(reason || networkError('websocket closed (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + ')'));
      };
      sock.onerror = () => {}; // a close event follows

      return {
        close() {
          if (done) return;
          end();
          sock.close(1000);
        },
        send(room, text, name, timeoutMs) {
          if (done || sock.readyState !== 1) return Promise.reject(networkError('not connected'));
          const ref = 'c' + (++seq);
          return new Promise((resolve, reject) => {
            const p = { resolve, reject, timer: null };
            if (timeoutMs > 0) {
              p.timer = setTimeout(() => settle(ref, networkError('no answer from the server')), timeoutMs);
            }
            pending.set(ref, p);
            sock.send(JSON.stringify({ type: 'send', ref, room, text, name }));
          });
        },
      };
    },
  };

  // ---- transport: long polling ------------------------------------------

  // Origins known to need JSONP: their fetch failed where JSONP worked.
  const jsonpBases = {};

  const poll = {
    name: 'poll',
    open(opts, on) {
      const cross = isCrossOrigin(opts.base);
      let useJsonp = opts.jsonp === true || typeof fetch !== 'function' ||
        (opts.jsonp == null && cross && jsonpBases[opts.base] === true);
      let cursor = opts.cursor;
      let session = opts.session; // kept across reconnects: the server sees one poller
      let live = false;
      let done = false;
      let inflight = null; // the AbortController of the poll in flight

      const fail = (err) => {
        if (done) return;
        done = true;
        on.error(err);
      };

      const next = () => {
        if (done) return;
        const q = streamQuery({ rooms: opts.rooms, watch: opts.watch, cursor, last: opts.last, name: opts.name }, 'cursor');
        // The first poll answers at once, so that 'live' means something;
        // then the server holds each poll until there is news.
        const wait = live ? opts.pollTimeout : 0;
        if (cursor != null) q.push('timeout=' + wait);
        if (session) q.push('session=' + encodeURIComponent(session));
        const url = opts.base + '/api/poll?' + q.join('&');
        const limit = (wait + 15) * 1000; // the server's hold, plus the network
        inflight = typeof AbortController === 'function' ? new AbortController() : null;
        const signal = inflight ? inflight.signal : null;
        const get = useJsonp
          ? jsonp(url, limit, signal)
          : request('GET', url, { timeout: limit, credentials: opts.credentials, signal });
        get.then((d) => {
          if (done) return;
          if (!d || typeof d !== 'object') throw new ParleyError('malformed poll answer', 'invalid', 502);
          if (useJsonp && cross) jsonpBases[opts.base] = true;
          if (!live) {
            live = true;
            on.open();
          }
          // The first answer of a session holds the member lists, before
          // any event.
          if (d.members && typeof d.members === 'object') {
            Object.keys(d.members).forEach((room) => {
              const e = membersEvent(room, d.members[room]);
              if (e && !done) on.members(e);
            });
          }
          (Array.isArray(d.events) ? d.events : []).forEach((m) => {
            if (done || !m) return;
            if (typeof m.id === 'number') on.message(m);
            else on.signal(m);
          });
          if (done) return;
          if (typeof d.cursor === 'number') {
            cursor = d.cursor;
            on.cursor(d.cursor);
          }
          if (typeof d.session === 'string' && d.session !== session) {
            session = d.session;
            on.session(session);
          }
          next();
        }).catch((err) => {
          if (done) return;
          // No answer at all from another origin: maybe it has no CORS for
          // us. Try JSONP once before giving up.
          if (!useJsonp && !live && cross && opts.jsonp == null && err.status === 0 && typeof document !== 'undefined') {
            useJsonp = true;
            next();
            return;
          }
          fail(err);
        });
      };
      next();

      return {
        close() {
          done = true;
          if (inflight) inflight.abort();
        },
      };
    },
  };

  // endPollSession tells the server that a long-poller is leaving, so that
  // it need not wait for the session's lease to lapse. Best effort; not
  // possible over JSONP.
  function endPollSession(base, session, credentials, jsonpOnly) {
    if (!session || jsonpOnly || typeof fetch !== 'function') return;
    fetch(base + '/api/poll/session?session=' + encodeURIComponent(session),
      { method: 'DELETE', credentials, keepalive: true }).catch(() => {});
  }

  const transports = { ws, sse, poll };

  function available(name) {
    if (name === 'ws') return typeof WebSocket !== 'undefined';
    if (name === 'sse') return typeof EventSource !== 'undefined';
    return typeof fetch === 'function' || typeof document !== 'undefined';
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
      this.openTimeout = o.openTimeout == null ? 5000 : o.openTimeout;
      this.pollTimeout = o.pollTimeout == null ? 25 : o.pollTimeout;
      this.backoffBase = o.backoffBase || 500;
      this.backoffMax = o.backoffMax || 30000;
      this.credentials = o.credentials || 'same-origin';
      this.jsonp = o.jsonp == null ? null : !!o.jsonp;
      // A guest's display name: streams carry it (?name=) so that the guest
      // is present in the rooms. Logged-in users need none.
      this._name = o.name ? String(o.name) : null;
      // The signals the streams ask for: 'typing', 'rooms' (room list
      // changes). They arrive as 'signal' events.
      this.watch = Array.isArray(o.watch) ? o.watch.slice() : [];

      // The transports to try, best first.
      const t = o.transport || 'auto';
      if (typeof t === 'object') {
        this._candidates = [t];
      } else if (t === 'auto') {
        this._candidates = AUTO.filter(available).map((n) => transports[n]);
      } else if (transports[t]) {
        this._candidates = [transports[t]];
      } else {
        throw new Error('parley: unknown transport ' + t);
      }
      this._ti = 0; // index of the transport in use
      this._lived = {}; // names of transports that got live at least once
      this._sends = {}; // names of transports that got live and can send

      this._cursor = o.cursor == null ? null : Number(o.cursor);
      this._session = null; // the long-poll session
      this._state = 'closed';
      this._handlers = {};
      this._conn = null;
      this._timer = null;
      this._openTimer = null;
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
    // name is the guest name the streams carry, or null.
    get name() { return this._name; }
    // transportName is the transport in use or being tried: 'ws', 'sse' or
    // 'poll' (or a custom transport's name).
    get transportName() { return this._candidates[this._ti].name; }

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
      endPollSession(this.base, this._session, this.credentials,
        this.jsonp === true || jsonpBases[this.base] === true);
      this._session = null;
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

    // setName changes the guest name the streams carry (null: none, e.g.
    // when logged in). A live connection is reopened, under a new long-poll
    // session: presence follows the name.
    setName(name) {
      const next = name ? String(name) : null;
      if (next === this._name) return;
      this._name = next;
      if (this._wanted) this.reconnect();
    }

    // reconnect reopens the connection now, resuming from the cursor. Call
    // it after logging in or out: the server reads the credentials (the
    // session cookie) when a stream opens. The long-poll session, which
    // belongs to the old identity, is ended. changes may give new rooms
    // and name, so that they take effect with one reopen.
    reconnect(changes) {
      const c = changes || {};
      if (c.rooms) this.rooms = Array.from(new Set(c.rooms));
      if (c.name !== undefined) this._name = c.name ? String(c.name) : null;
      if (!this._wanted) return;
      this._stop();
      endPollSession(this.base, this._session, this.credentials,
        this.jsonp === true || jsonpBases[this.base] === true);
      this._session = null;
      this._attempt = 0;
      this._setState('connecting');
      this._open();
    }

    _stop() {
      clearTimeout(this._timer);
      clearTimeout(this._openTimer);
      this._timer = this._openTimer = null;
      if (this._conn) {
        this._conn.close();
        this._conn = null;
      }
    }

    _open() {
      this._stop();
      const t = this._candidates[this._ti];
      let conn = null;
      let opened = false;
      const on = {
        open: () => {
          if (this._conn !== conn || opened) return;
          opened = true;
          clearTimeout(this._openTimer);
          this._lived[t.name] = true;
          if (conn && typeof conn.send === 'function') this._sends[t.name] = true;
          this._liveSince = Date.now();
          this._setState('live');
        },
        message: (m) => {
          if (this._conn === conn) this._receive(m);
        },
        signal: (s) => {
          if (this._conn === conn && s && typeof s === 'object' && typeof s.kind === 'string' && typeof s.room === 'string') {
            this._emit('signal', s);
          }
        },
        members: (e) => {
          if (this._conn === conn && e && typeof e.room === 'string' && Array.isArray(e.members)) {
            this._emit('members', { room: e.room, members: e.members });
          }
        },
        session: (sid) => {
          if (this._conn === conn) this._session = sid;
        },
        cursor: (id) => {
          if (this._conn === conn && typeof id === 'number' && (this._cursor == null || id > this._cursor)) {
            this._cursor = id;
          }
        },
        error: (err) => {
          if (this._conn !== conn) return;
          this._conn = null;
          this._failed(err, opened);
        },
      };
      try {
        conn = t.open({
          base: this.base, rooms: this.rooms, watch: this.watch, cursor: this._cursor, last: this.last,
          credentials: this.credentials, jsonp: this.jsonp, pollTimeout: this.pollTimeout,
          session: this._session, name: this._name,
        }, on);
      } catch (err) {
        // E.g. no such constructor, or a URL the browser refuses.
        conn = { close() {} };
        setTimeout(() => on.error(networkError(t.name + ': ' + (err && err.message))));
      }
      this._conn = conn;
      // A transport that has never worked here gets a few seconds to get
      // live before the next one is tried (a proxy may hold a WebSocket
      // handshake, or buffer an event stream, forever).
      if (this._canFallBack() && this.openTimeout > 0) {
        this._openTimer = setTimeout(() => {
          if (this._conn !== conn || opened) return;
          conn.close();
          on.error(networkError(t.name + ': not live after ' + this.openTimeout + ' ms'));
        }, this.openTimeout);
      }
    }

    _canFallBack() {
      return this._ti + 1 < this._candidates.length && !this._lived[this._candidates[this._ti].name];
    }

    _failed(err, opened) {
      if (!opened && this._canFallBack()) {
        this._ti++;
        this._emit('error', err);
        this._timer = setTimeout(() => {
          this._timer = null;
          if (this._wanted) this._open();
        });
        return;
      }
      // Every transport failed without ever getting live: after the backoff
      // start over from the best one.
      if (!opened && !this._lived[this._candidates[this._ti].name]) this._ti = 0;
      this._retry(err);
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
      let delay = backoff(this._attempt++, this.backoffBase, this.backoffMax);
      if (err && err.retryAfter > 0) delay = Math.max(delay, err.retryAfter * 1000);
      this._setState('reconnecting');
      this._emit('error', err);
      this._timer = setTimeout(() => {
        this._timer = null;
        if (this._wanted) this._open();
      }, delay);
    }

    _http(method, path, body) {
      return request(method, this.base + path, { body, timeout: this.sendTimeout, credentials: this.credentials });
    }

    // send posts a chat line: over the WebSocket when that is the live
    // transport, else with an HTTP POST. It resolves with the stored
    // message and rejects with a ParleyError (code, status, message).
    // name is a guest's display name; leave it out when logged in.
    send(room, text, name, opts) {
      const o = opts || {};
      if (o.replyTo) {
        // A reply goes by HTTP: the WebSocket's send frame has no reply.
        const body = { text, reply_to: o.replyTo };
        if (name) body.name = name;
        return this._http('POST', '/api/rooms/' + encodeURIComponent(room) + '/messages', body);
      }
      return this._send(room, text, name, true);
    }

    // edit replaces the text of one of our lines (logged in, within the
    // server's edit window). Resolves with the stored edit entry.
    edit(id, text) {
      return this._http('PATCH', '/api/messages/' + encodeURIComponent(id), { text });
    }

    // remove deletes a message (ours within the edit window, or any as a
    // room owner or admin).
    remove(id) {
      return this._http('DELETE', '/api/messages/' + encodeURIComponent(id));
    }

    // react adds (on = true) or takes back our reaction with emoji to a
    // message. Idempotent; resolves with {id, reactions}.
    react(id, emoji, on) {
      return this._http(on === false ? 'DELETE' : 'PUT',
        '/api/messages/' + encodeURIComponent(id) + '/reactions/' + encodeURIComponent(emoji), {});
    }

    // markRead moves our read position in room forward to id (logged in).
    markRead(room, id) {
      return this._http('PUT', '/api/rooms/' + encodeURIComponent(room) + '/read', { id });
    }

    // readPositions resolves with {rooms: {room: {read, unread, mentions}},
    // max_count} for the rooms we may read (logged in).
    readPositions() {
      return this._http('GET', '/api/read');
    }

    _send(room, text, name, mayWait) {
      const c = this._conn;
      if (c && c.send && this._state === 'live') return c.send(room, text, name, this.sendTimeout);
      // A deliberate reopen (setRooms, setName, reconnect) of a transport
      // that sends: it is back in a moment, so wait for it (at most
      // openTimeout) rather than race it with a POST.
      if (mayWait && this._state === 'connecting' && this._sends[this.transportName]) {
        return this._settled(this.openTimeout > 0 ? this.openTimeout : 5000)
          .then(() => this._send(room, text, name, false));
      }
      const body = { text };
      if (name != null && name !== '') body.name = name;
      return this._http('POST', '/api/rooms/' + encodeURIComponent(room) + '/messages', body);
    }

    // typing tells the room's watchers that we are typing (a signal: not
    // stored). Call it at most every couple of seconds while typing; the
    // server refuses a flood with 429. name is a guest's display name.
    typing(room, name) {
      return this._http('POST', '/api/rooms/' + encodeURIComponent(room) + '/typing', name ? { name } : {});
    }

    // _settled resolves once the state is no longer 'connecting', or after
    // ms.
    _settled(ms) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.off('state', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        this.on('state', done);
      });
    }

    // history resolves with up to limit messages of room, ascending by id.
    // Pass {before: id} or {after: id} to page.
    history(room, opts) {
      return this._http('GET', '/api/rooms/' + encodeURIComponent(room) + '/messages?' + pageQuery(opts))
        .then((d) => (d && d.messages) || []);
    }

    // listRooms resolves with the rooms one may read: {name, topic,
    // created, visibility ('public', 'private' or 'direct')}, following
    // the server's pages (up to maxPages of them).
    listRooms(maxPages = 20) {
      const all = [];
      const page = (after, left) =>
        this._http('GET', '/api/rooms' + (after ? '?after=' + encodeURIComponent(after) : '')).then((d) => {
          all.push(...((d && d.rooms) || []));
          return d && d.next && left > 1 ? page(d.next, left - 1) : all;
        });
      return page('', maxPages);
    }

    // createRoom creates a room. opts.visibility 'private' (logged-in
    // users) makes it a private room, owned by its creator; opts.as is a
    // guest's display name (a guest must give one).
    createRoom(name, opts) {
      const o = opts || {};
      const body = { name };
      if (o.visibility) body.visibility = o.visibility;
      if (o.as) body.as = o.as;
      return this._http('POST', '/api/rooms', body);
    }

    // listMembers resolves with who is online in room now: [{name, guest}].
    listMembers(room) {
      return this._http('GET', '/api/rooms/' + encodeURIComponent(room) + '/members')
        .then((d) => memberList(d && d.members) || []);
    }

    // ---- people -------------------------------------------------------

    // session resolves with who the server takes us for: {name, kind
    // ('anonymous', 'guest', 'user' or 'app'), admin}. With a guest name it
    // tells whether a guest may go by it: a registered user's name rejects
    // with 409 (conflict), a malformed one with 400.
    session(name) {
      return this._http('GET', '/api/session' + (name ? '?name=' + encodeURIComponent(name) : ''));
    }

    // login starts a login session: the server sets an HttpOnly cookie,
    // which the browser sends from then on. Resolves with {token, user:
    // {name, admin}}. Open streams keep their identity: call reconnect().
    login(name, password) {
      return this._http('POST', '/api/session', { name, password });
    }

    // logout ends the login session and clears the cookie. Then call
    // reconnect().
    logout() {
      return this._http('DELETE', '/api/session');
    }

    // register creates an account, when the server's registration is open
    // (otherwise it rejects, e.g. with 403). It does not log in.
    register(name, password) {
      return this._http('POST', '/api/users', { name, password });
    }

    // sendDirect sends a direct message to a registered user (when logged
    // in). Resolves with the stored message; its room is the conversation,
    // '@' and the two names sorted, joined by a comma. Every stream of a
    // logged-in user carries their conversations.
    sendDirect(user, text) {
      return this._http('POST', '/api/users/' + encodeURIComponent(user) + '/messages', { text });
    }

    // directHistory is history() of the conversation with user.
    directHistory(user, opts) {
      return this._http('GET', '/api/users/' + encodeURIComponent(user) + '/messages?' + pageQuery(opts))
        .then((d) => (d && d.messages) || []);
    }

    // ---- search -------------------------------------------------------

    // search runs a full-text search over the rooms and conversations one
    // may read. opts: room, from, since, until (RFC 3339), limit (1-100),
    // cursor (the next of the previous page), signal (an AbortSignal, to
    // cancel). Resolves with {results: [{message, snippet: [{text,
    // match}]}], next} (next is absent on the last page). The snippet is
    // plain text in parts: render it with text nodes, never as HTML.
    search(q, opts) {
      const o = opts || {};
      const params = ['q=' + encodeURIComponent(q)];
      ['room', 'from', 'since', 'until', 'limit', 'cursor'].forEach((k) => {
        if (o[k] != null && o[k] !== '') params.push(k + '=' + encodeURIComponent(o[k]));
      });
      return request('GET', this.base + '/api/search?' + params.join('&'),
        { timeout: this.sendTimeout, credentials: this.credentials, signal: o.signal })
        .then((d) => ({
          results: (d && Array.isArray(d.results) ? d.results : []).filter((r) => r && r.message),
          next: (d && typeof d.next === 'string' && d.next) || null,
        }));
    }
  }

  // directRoom names the conversation of two users, as the server does.
  function directRoom(a, b) {
    return '@' + (a < b ? a + ',' + b : b + ',' + a);
  }

  // pageQuery is the query of a history page: limit, before, after.
  function pageQuery(opts) {
    const o = opts || {};
    const q = ['limit=' + (o.limit || 50)];
    if (o.before != null) q.push('before=' + o.before);
    if (o.after != null) q.push('after=' + o.after);
    return q.join('&');
  }

  global.Parley = { Client, ParleyError, transports, backoff, directRoom, _jsonp: callbacks };
})(typeof window !== 'undefined' ? window : globalThis);
