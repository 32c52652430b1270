/*
 * app.js: the Parley chat page. Uses parley.js (window.Parley).
 *
 * Rules this file keeps:
 *  - Message data only ever reaches the DOM through textContent or
 *    attributes set via the DOM API; never as HTML.
 *  - Typing is never blocked: lines go into a FIFO outbox that one sender
 *    loop drains in order, one POST at a time.
 *  - A line is shown as confirmed only once the server has committed it;
 *    every confirmed message is shown once (de-duplicated by id).
 *
 * Stable hooks for tests (web/browser_test.go) and user styles:
 *   #name #input #send #status (text: connecting|live|reconnecting|closed)
 *   #rooms > li > button.room[data-room][aria-current]
 *   #new-room #create-room #room-error #room-title #new-below
 *   #messages > li.msg[data-id][data-kind] > time.time, .from, .text
 *   #outbox > li.out.(sending|failing|rejected) > .from, .text, .state
 */
(function () {
  'use strict';

  const NAME_KEY = 'parley.name';
  const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
  const MAX_MESSAGES = 500; // per room, kept in memory and in the DOM
  const MAX_SUBSCRIBED = 32; // the server's limit of rooms per stream
  const HISTORY_LIMIT = 50;
  const KINDS = ['message', 'join', 'leave', 'notice'];

  const $ = (id) => document.getElementById(id);
  const ui = {
    name: $('name'),
    status: $('status'),
    rooms: $('rooms'),
    newRoomForm: $('new-room-form'),
    newRoom: $('new-room'),
    roomError: $('room-error'),
    roomTitle: $('room-title'),
    pane: $('pane'),
    historyStatus: $('history-status'),
    messages: $('messages'),
    outbox: $('outbox'),
    newBelow: $('new-below'),
    composer: $('composer'),
    input: $('input'),
  };

  let client = null;
  let current = 'lobby';
  let knownRooms = []; // names from GET /api/rooms
  let subscribed = []; // rooms on the stream, least recently opened first
  const rooms = new Map(); // name -> room state, see roomState()

  // ---- small helpers ----------------------------------------------------

  function roomState(name) {
    let r = rooms.get(name);
    if (!r) {
      r = {
        name,
        msgs: [], // confirmed messages, ascending id
        ids: new Set(),
        history: 'none', // 'none' | 'loading' | 'done'
        unread: 0,
        outgoing: [], // elements of this room's pending or rejected lines
      };
      rooms.set(name, r);
    }
    return r;
  }

  function span(cls, text) {
    const s = document.createElement('span');
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function pad2(n) {
    return (n < 10 ? '0' : '') + n;
  }

  // parseTime accepts the server's RFC 3339 with nanoseconds; Date parsing
  // of more than 3 fraction digits is not guaranteed everywhere.
  function parseTime(s) {
    const d = new Date(String(s || '').replace(/(\.\d{3})\d+/, '$1'));
    return isNaN(d.getTime()) ? null : d;
  }

  function storageGet(key) {
    try {
      return localStorage.getItem(key);
    } catch (err) {
      return null; // storage disabled (privacy mode): just don't remember
    }
  }

  function storageSet(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (err) {
      /* see storageGet */
    }
  }

  // ---- name -------------------------------------------------------------

  function randomGuestName() {
    return 'guest-' + String(Math.floor(1000 + Math.random() * 9000));
  }

  function initName() {
    const saved = (storageGet(NAME_KEY) || '').trim();
    ui.name.value = saved || randomGuestName();
    if (!saved) storageSet(NAME_KEY, ui.name.value);
    ui.name.addEventListener('change', () => {
      const v = ui.name.value.trim();
      if (v) storageSet(NAME_KEY, v);
    });
  }

  function currentName() {
    let v = ui.name.value.trim();
    if (!v) {
      v = storageGet(NAME_KEY) || randomGuestName();
      ui.name.value = v;
    }
    return v;
  }

  // ---- scrolling --------------------------------------------------------

  function atBottom() {
    const p = ui.pane;
    return p.scrollHeight - p.scrollTop - p.clientHeight < 40;
  }

  function scrollToBottom() {
    ui.pane.scrollTop = ui.pane.scrollHeight;
    ui.newBelow.hidden = true;
  }

  // ---- rendering messages -----------------------------------------------

  function kindOf(m) {
    return KINDS.indexOf(m.kind) >= 0 ? m.kind : 'notice';
  }

  function displayText(m, kind) {
    if (m.text) return m.text;
    if (kind === 'join') return 'joined';
    if (kind === 'leave') return 'left';
    return '';
  }

  function messageElement(m) {
    const kind = kindOf(m);
    const li = document.createElement('li');
    li.className = 'msg kind-' + kind + (kind === 'message' ? '' : ' notice');
    li.dataset.id = String(m.id);
    li.dataset.kind = kind;

    const t = document.createElement('time');
    t.className = 'time';
    const d = parseTime(m.time);
    if (d) {
      t.dateTime = d.toISOString();
      t.textContent = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
      t.title = d.toLocaleString();
    }
    li.append(t, ' ', span('from', m.from || ''), ' ', span('text', displayText(m, kind)));
    return li;
  }

  // addMessage files a confirmed message under its room, in id order, and
  // shows it if its room is open. live is true for messages from the
  // stream (they count as unread in other rooms).
  function addMessage(m, live) {
    if (!m || typeof m.id !== 'number' || typeof m.room !== 'string') return;
    const r = roomState(m.room);
    if (r.ids.has(m.id)) return;
    if (live) matchOutgoing(m);
    if (r.msgs.length >= MAX_MESSAGES && m.id < r.msgs[0].id) return; // too old to keep

    let i = r.msgs.length;
    while (i > 0 && r.msgs[i - 1].id > m.id) i--;
    r.msgs.splice(i, 0, m);
    r.ids.add(m.id);
    let trimmed = false;
    if (r.msgs.length > MAX_MESSAGES) {
      r.ids.delete(r.msgs.shift().id);
      i--;
      trimmed = true;
    }

    if (m.room !== current) {
      if (live && kindOf(m) === 'message' && m.from !== ui.name.value.trim()) {
        r.unread++;
        renderRooms();
      }
      return;
    }
    const stick = atBottom();
    if (trimmed && ui.messages.firstElementChild) ui.messages.firstElementChild.remove();
    const isNewest = i === r.msgs.length - 1;
    ui.messages.insertBefore(messageElement(m), ui.messages.children[i] || null);
    if (stick) scrollToBottom();
    else if (isNewest && live) ui.newBelow.hidden = false;
  }

  function renderCurrentRoom() {
    const r = roomState(current);
    ui.roomTitle.textContent = '#' + current;
    document.title = '#' + current + ' · Parley';
    // aria-busy: a screen reader should not read a re-rendered log aloud.
    ui.messages.setAttribute('aria-busy', 'true');
    ui.messages.replaceChildren(...r.msgs.map(messageElement));
    ui.messages.removeAttribute('aria-busy');
    ui.outbox.replaceChildren(...r.outgoing);
    showHistoryStatus(r);
    scrollToBottom();
  }

  function showHistoryStatus(r) {
    if (r.name !== current) return;
    const s = ui.historyStatus;
    if (r.history === 'loading' && r.msgs.length === 0) {
      s.textContent = 'Loading…';
      s.hidden = false;
    } else if (r.historyError) {
      s.textContent = 'Could not load earlier messages: ' + r.historyError;
      s.hidden = false;
    } else {
      s.hidden = true;
    }
  }

  function loadHistory(r) {
    if (r.history !== 'none') return;
    r.history = 'loading';
    showHistoryStatus(r);
    client.history(r.name, { limit: HISTORY_LIMIT }).then(
      (msgs) => {
        r.history = 'done';
        r.historyError = null;
        msgs.forEach((m) => addMessage(m, false));
        showHistoryStatus(r);
      },
      (err) => {
        // Retried when the stream is live again or the room is reopened.
        r.history = 'none';
        r.historyError = err.message;
        showHistoryStatus(r);
      },
    );
  }

  // ---- rooms ------------------------------------------------------------

  function renderRooms() {
    const names = knownRooms.slice();
    subscribed.concat([current]).forEach((n) => {
      if (names.indexOf(n) < 0) names.push(n);
    });
    names.sort();
    ui.rooms.replaceChildren(...names.map((name) => {
      const r = roomState(name);
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'room';
      b.dataset.room = name;
      b.append(span('room-name', '#' + name));
      if (r.unread > 0 && name !== current) {
        const badge = span('unread', String(r.unread));
        badge.setAttribute('aria-hidden', 'true');
        b.append(badge);
        b.setAttribute('aria-label', name + ', ' + r.unread + ' unread');
      }
      if (name === current) b.setAttribute('aria-current', 'true');
      const li = document.createElement('li');
      li.append(b);
      return li;
    }));
  }

  let roomsFetchedAt = 0;
  function refreshRooms() {
    roomsFetchedAt = Date.now();
    return client.listRooms().then(
      (list) => {
        knownRooms = list.map((r) => r.name).filter((n) => typeof n === 'string');
        renderRooms();
        return knownRooms;
      },
      () => knownRooms, // keep the last list; the status shows the outage
    );
  }

  // subscribe adds room to the stream. The server takes at most 32 rooms,
  // so the least recently opened one is dropped, with its messages: they
  // would have a gap by the time it is reopened.
  function subscribe(name) {
    const i = subscribed.indexOf(name);
    if (i >= 0) {
      subscribed.splice(i, 1);
      subscribed.push(name);
      return; // reordering only: no need to reconnect
    }
    subscribed.push(name);
    while (subscribed.length > MAX_SUBSCRIBED) {
      const old = rooms.get(subscribed.shift());
      if (old) {
        old.msgs = [];
        old.ids.clear();
        old.history = 'none';
        old.unread = 0;
      }
    }
    client.setRooms(subscribed.slice().sort());
  }

  // roomFromHash reads "#room" from the address, or null.
  function roomFromHash() {
    let want = '';
    try {
      want = decodeURIComponent(location.hash.slice(1));
    } catch (err) {
      return null; // malformed escape
    }
    return ROOM_RE.test(want) ? want : null;
  }

  function openRoom(name) {
    current = name;
    const r = roomState(name);
    r.unread = 0;
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
    subscribe(name);
    renderRooms();
    const b = ui.rooms.querySelector('[aria-current="true"]');
    if (b && b.scrollIntoView) b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    renderCurrentRoom();
    loadHistory(r);
  }

  function createRoom(ev) {
    ev.preventDefault();
    const name = ui.newRoom.value.trim().toLowerCase();
    ui.roomError.textContent = '';
    if (!ROOM_RE.test(name)) {
      ui.roomError.textContent = 'Room names are 1–32 characters: lowercase letters, digits, “-” and “_”, starting with a letter or digit.';
      return;
    }
    client.createRoom(name).then(
      () => true,
      (err) => {
        if (err.code === 'conflict') return true; // it exists: just go there
        ui.roomError.textContent = err.message;
        return false;
      },
    ).then((ok) => {
      if (!ok) return;
      ui.newRoom.value = '';
      if (knownRooms.indexOf(name) < 0) knownRooms.push(name);
      openRoom(name);
      refreshRooms();
    });
  }

  // ---- outgoing queue ---------------------------------------------------

  const queue = []; // FIFO of lines not yet confirmed or rejected
  let pumping = false;

  function outgoingElement(item) {
    const li = document.createElement('li');
    li.className = 'out sending';
    li.append(span('from', item.name), ' ', span('text', item.text), ' ');
    item.stateEl = span('state', 'sending…');
    li.append(item.stateEl);
    return li;
  }

  function setOutgoingState(item, cls, text) {
    item.el.className = 'out ' + cls;
    item.stateEl.textContent = text;
  }

  function removeOutgoing(item) {
    const r = roomState(item.room);
    r.outgoing = r.outgoing.filter((e) => e !== item.el);
    item.el.remove();
  }

  function enqueue(text) {
    const item = {
      room: current,
      text,
      name: currentName(),
      attempts: 0,
      tried: false, // a POST was started: the server may have it
      seenBefore: -1, // the stream's cursor when the first POST started
      matched: null, // id of the same line seen on the stream
      wake: null,
    };
    item.el = outgoingElement(item);
    roomState(item.room).outgoing.push(item.el);
    ui.outbox.append(item.el);
    scrollToBottom(); // the writer wants to see their own line
    queue.push(item);
    pump();
  }

  // pump is the single sender loop: it posts the queue head and moves on
  // only once that line is confirmed or rejected, so order is kept.
  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length) {
        await deliver(queue[0]);
        queue.shift();
      }
    } finally {
      pumping = false;
    }
  }

  async function deliver(item) {
    for (;;) {
      if (!item.tried) item.seenBefore = client.cursor == null ? -1 : client.cursor;
      item.tried = true;
      if (item.attempts > 0) setOutgoingState(item, 'sending', 'sending… (retry ' + item.attempts + ')');
      let err;
      try {
        const m = await client.send(item.room, item.text, item.name);
        return confirmOutgoing(item, m);
      } catch (e) {
        err = e;
      }
      // A copy seen on the stream means an earlier attempt was committed:
      // sending again would post it twice.
      if (item.matched != null) return confirmOutgoing(item, null);
      if (!err.retryable) return rejectOutgoing(item, err);
      const delay = err.retryAfter != null
        ? err.retryAfter * 1000
        : Parley.backoff(item.attempts, 1000, 30000);
      item.attempts++;
      setOutgoingState(item, 'failing', 'not sent: ' + err.message + '; retrying…');
      await new Promise((resolve) => {
        const t = setTimeout(resolve, delay);
        item.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      item.wake = null;
      if (item.matched != null) return confirmOutgoing(item, null);
    }
  }

  function confirmOutgoing(item, m) {
    removeOutgoing(item);
    if (m) addMessage(m, false);
  }

  // A 4xx: the server will refuse this line every time. Keep it on screen
  // with the server's reason until the writer dismisses it.
  function rejectOutgoing(item, err) {
    setOutgoingState(item, 'rejected', 'not sent: ' + err.message);
    const x = document.createElement('button');
    x.type = 'button';
    x.className = 'dismiss';
    x.textContent = '×';
    x.setAttribute('aria-label', 'Dismiss');
    x.addEventListener('click', () => removeOutgoing(item));
    item.el.append(x);
    item.el.setAttribute('role', 'alert');
  }

  // matchOutgoing notices our own line arriving on the stream before the
  // POST answer (or after a POST whose answer was lost). There is no client
  // message id in the API, so this matches on room, name and text, and only
  // messages committed after the first POST started.
  function matchOutgoing(m) {
    const item = queue[0];
    if (!item || !item.tried || item.matched != null || m.id <= item.seenBefore) return;
    if (m.kind !== 'message' || m.room !== item.room || m.from !== item.name || m.text !== item.text) return;
    item.matched = m.id;
    removeOutgoing(item); // the confirmed copy takes its place
    if (item.wake) item.wake();
  }

  // ---- composer ---------------------------------------------------------

  function autosize() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight, 160) + 'px';
  }

  function submitLine(ev) {
    ev.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = '';
    autosize();
    enqueue(text);
  }

  function onInputKey(ev) {
    // Enter sends; Shift+Enter is a newline; never while an IME composes.
    if (ev.key !== 'Enter' || ev.shiftKey || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.isComposing || ev.keyCode === 229) return;
    submitLine(ev);
  }

  // ---- connection status ------------------------------------------------

  function showState(s) {
    ui.status.textContent = s;
    ui.status.dataset.state = s;
    if (s === 'live') {
      // Retry at once what failed while we were offline.
      loadHistory(roomState(current));
      if (!knownRooms.length) refreshRooms();
      if (queue.length && queue[0].wake) queue[0].wake();
    }
  }

  // ---- start ------------------------------------------------------------

  async function start() {
    initName();
    client = new Parley.Client({ rooms: ['lobby'], last: HISTORY_LIMIT });

    ui.composer.addEventListener('submit', submitLine);
    ui.input.addEventListener('keydown', onInputKey);
    ui.input.addEventListener('input', autosize);
    ui.newRoomForm.addEventListener('submit', createRoom);
    ui.rooms.addEventListener('click', (ev) => {
      const b = ev.target.closest('button.room');
      if (b && b.dataset.room !== current) openRoom(b.dataset.room);
    });
    ui.newBelow.addEventListener('click', scrollToBottom);
    ui.pane.addEventListener('scroll', () => {
      if (atBottom()) ui.newBelow.hidden = true;
    });
    window.addEventListener('hashchange', () => {
      const want = roomFromHash();
      if (!want || want === current) return;
      if (knownRooms.indexOf(want) >= 0) openRoom(want);
      else refreshRooms().then(() => { if (knownRooms.indexOf(want) >= 0) openRoom(want); });
    });
    window.addEventListener('focus', () => {
      if (Date.now() - roomsFetchedAt > 10000) refreshRooms();
    });
    window.addEventListener('online', () => {
      if (queue.length && queue[0].wake) queue[0].wake();
    });

    // Subscribe only to rooms known to exist: one unknown room would make
    // the server refuse the whole stream.
    await refreshRooms();
    const want = roomFromHash();
    current = want && knownRooms.indexOf(want) >= 0 ? want : 'lobby';
    subscribed = [current];
    client.setRooms(subscribed);
    client.on('state', showState);
    client.on('message', (m) => addMessage(m, true));
    client.connect();
    openRoom(current);
    if (window.matchMedia && window.matchMedia('(pointer: fine)').matches) ui.input.focus();
  }

  start();
})();
