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
 *  - The page keeps no credentials: logging in sets an HttpOnly cookie.
 *
 * Stable hooks for tests (web/browser_test.go, web/people_test.go) and
 * user styles:
 *   #name #input #send #status (text: connecting|live|reconnecting|closed)
 *   #conn[data-state] #transport[data-transport] (ws|sse|poll, shown when live)
 *   #rooms > li > button.room[data-room][data-visibility][aria-current]
 *   #dm-section #dms > li > button.room.dm[data-room="@a,b"][data-user][aria-current]
 *   #new-room #new-room-private #create-room #room-error #room-title #room-badge #new-below
 *   #messages > li.msg[data-id][data-kind] > time.time, .from, .text
 *   #outbox > li.out.(sending|failing|rejected) > .from, .text, .state
 *   account: #guest-who #login-open #user-who #me #logout #account-error
 *   #auth-panel #login-form[data-mode=login|register] #login-name
 *   #login-password #login-submit #auth-mode #login-error
 *   #guest-form #guest-name #guest-continue #guest-error
 *   search: #search-form #search-q #search-here #search-submit #search-panel
 *   #search-status[data-error] #search-close #search-more
 *   #search-results > li.search-hit[data-id][data-room] > button.search-open >
 *     .hit-head > (.hit-room, .hit-from, time.hit-time); .hit-snippet (text and <mark>)
 *   a message opened from a result: #messages > li.msg.target;
 *   #older-bar (shown while an earlier window is open) #older-note #jump-latest
 *   members: #members-panel #members-count #members-toggle #members-empty
 *   #members > li.member[data-name][data-guest] > (button.member-dm[data-user] | .member-name),
 *   .guest-tag, .you-tag
 */
(function () {
  'use strict';

  const NAME_KEY = 'parley.name';
  const GUEST_KEY = 'parley.guest'; // '1': the visitor chose to go on as a guest
  const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
  const DIRECT_RE = /^@[^,]+,[^,]+$/; // a conversation: '@' and two user names
  const NAME_RE = /^[\p{L}\p{Nd}._-]{1,32}$/u; // as the server's ValidateName
  const MAX_MESSAGES = 500; // per room, kept in memory and in the DOM
  const MAX_SUBSCRIBED = 32; // the server's limit of rooms per stream
  const HISTORY_LIMIT = 50;
  const KINDS = ['message', 'join', 'leave', 'notice'];
  const SEARCH_LIMIT = 20; // results per page
  const CONTEXT_LIMIT = 25; // messages loaded on each side of a search hit

  const $ = (id) => document.getElementById(id);
  const ui = {
    name: $('name'),
    guestWho: $('guest-who'),
    loginOpen: $('login-open'),
    userWho: $('user-who'),
    me: $('me'),
    logout: $('logout'),
    accountError: $('account-error'),
    authPanel: $('auth-panel'),
    loginForm: $('login-form'),
    authHeading: $('auth-heading'),
    loginName: $('login-name'),
    loginPassword: $('login-password'),
    loginSubmit: $('login-submit'),
    authMode: $('auth-mode'),
    loginError: $('login-error'),
    guestForm: $('guest-form'),
    guestName: $('guest-name'),
    guestError: $('guest-error'),
    conn: $('conn'),
    status: $('status'),
    transport: $('transport'),
    rooms: $('rooms'),
    dmSection: $('dm-section'),
    dms: $('dms'),
    dmsEmpty: $('dms-empty'),
    newRoomForm: $('new-room-form'),
    newRoom: $('new-room'),
    newRoomPrivateRow: $('new-room-private-row'),
    newRoomPrivate: $('new-room-private'),
    roomError: $('room-error'),
    roomTitle: $('room-title'),
    roomBadge: $('room-badge'),
    membersToggle: $('members-toggle'),
    membersToggleCount: $('members-toggle-count'),
    membersPanel: $('members-panel'),
    membersCount: $('members-count'),
    membersClose: $('members-close'),
    members: $('members'),
    membersEmpty: $('members-empty'),
    pane: $('pane'),
    historyStatus: $('history-status'),
    messages: $('messages'),
    outbox: $('outbox'),
    newBelow: $('new-below'),
    composer: $('composer'),
    input: $('input'),
    counter: $('counter'),
    searchForm: $('search-form'),
    searchQ: $('search-q'),
    searchHere: $('search-here'),
    searchPanel: $('search-panel'),
    searchStatus: $('search-status'),
    searchResults: $('search-results'),
    searchMore: $('search-more'),
    searchClose: $('search-close'),
    olderBar: $('older-bar'),
    olderNote: $('older-note'),
    jumpLatest: $('jump-latest'),
  };

  let client = null;
  let current = 'lobby';
  let knownRooms = []; // names from GET /api/rooms
  const roomInfo = new Map(); // name -> {visibility, topic}, from GET /api/rooms
  const directRooms = new Set(); // conversations seen: listed, opened or on the stream
  let subscribed = []; // rooms on the stream, least recently opened first
  const rooms = new Map(); // name -> room state, see roomState()

  // Who we are. accounts: the server has the people API (GET /api/session
  // answered), so logging in is offered.
  let me = { name: '', kind: 'anonymous', admin: false };
  let accounts = false;
  let sessionKnown = false;
  let guestChosen = false; // "Continue as guest", or a name typed in
  let nameRefused = null; // a guest name the server will not take
  let authOpen = false; // the log-in panel is shown
  let maxText = 0; // the server's message length limit, in characters; 0 until known

  // Presence: room -> Map(name -> {name, guest}); guest is null while
  // unknown (a join notice does not say).
  const members = new Map();
  const guestFlags = new Map(); // name -> guest, learned from member lists

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
        // An earlier window (a search hit in context) rather than the
        // newest messages: live messages are not added to it (there may be
        // a gap before them), only counted in missed, until "Jump to latest".
        detached: false,
        missed: 0,
        target: null, // id of the message opened from a search result
        epoch: 0, // bumped when msgs is replaced: late history answers are dropped
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
      if (value == null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (err) {
      /* see storageGet */
    }
  }

  // ---- who we are -------------------------------------------------------

  function loggedIn() {
    return me.kind === 'user' && !!me.name;
  }

  function randomGuestName() {
    return 'guest-' + String(Math.floor(1000 + Math.random() * 9000));
  }

  // nameProblem says what is wrong with a display name, '' if nothing: the
  // server's rule (ValidateName), checked as the person types.
  function nameProblem(v) {
    if (!v) return 'choose a name';
    if ([...v].length > 32) return 'a name has at most 32 characters';
    if (!NAME_RE.test(v)) return 'use only letters, digits, "-", "_" and "." (no spaces or symbols)';
    return '';
  }

  // showNameProblem marks the name field as the person types.
  function showNameProblem() {
    const problem = nameProblem(ui.name.value.trim());
    ui.name.setCustomValidity(problem);
    ui.name.setAttribute('aria-invalid', problem ? 'true' : 'false');
    // Not currentName(): it refills an emptied field, while the person is
    // typing a new name into it.
    const still = (storageGet(NAME_KEY) || '').trim();
    ui.accountError.textContent = problem
      ? 'That name cannot be used: ' + problem + (still ? '. You are still ' + still + '.' : '.')
      : '';
    return problem;
  }

  function initName() {
    const saved = (storageGet(NAME_KEY) || '').trim();
    ui.name.value = saved || randomGuestName();
    if (!saved) storageSet(NAME_KEY, ui.name.value);
    guestChosen = storageGet(GUEST_KEY) === '1';
    ui.name.addEventListener('input', showNameProblem);
    ui.name.addEventListener('change', () => {
      const v = ui.name.value.trim();
      // An invalid name is not taken: the person stays who they were
      // (and stays in the member list) and is told why.
      if (showNameProblem()) return;
      if (v) storageSet(NAME_KEY, v);
      ui.guestName.value = v;
      if (loggedIn()) return;
      // Typing a name is choosing to be a guest.
      guestChosen = true;
      storageSet(GUEST_KEY, '1');
      // At once: a named guest's WebSocket posts as the name it opened
      // with. If the server refuses the name, the check takes it back.
      client.setName(streamName());
      renderMembers();
      checkGuestName(v).then((err) => {
        if (v !== currentName() || loggedIn()) return; // changed meanwhile
        ui.accountError.textContent = err ? err.message : '';
        client.setName(streamName());
        renderMembers();
      });
    });
  }

  // checkGuestName asks the server whether a guest may go by name (not a
  // registered user's): a stream with a name it refuses is refused whole.
  // Resolves with the server's error, or null.
  function checkGuestName(name) {
    if (!accounts || !NAME_RE.test(name)) return Promise.resolve(null);
    return client.session(name).then(
      () => {
        if (nameRefused === name) nameRefused = null;
        return null;
      },
      (err) => {
        if (err.status !== 409 && err.status !== 400) return null; // no verdict
        nameRefused = name;
        return err;
      },
    );
  }

  // currentName is the guest's display name.
  function currentName() {
    let v = ui.name.value.trim();
    if (!v) {
      v = storageGet(NAME_KEY) || randomGuestName();
      ui.name.value = v;
    }
    if (nameProblem(v)) {
      // Being edited into something invalid: the last good name holds.
      const saved = (storageGet(NAME_KEY) || '').trim();
      if (saved && !nameProblem(saved)) return saved;
    }
    return v;
  }

  // myName is the name our lines carry.
  function myName() {
    return loggedIn() ? me.name : currentName();
  }

  // streamName is the name the stream is present as: a guest's, once they
  // chose to be one. Logged-in streams are present as their user; a
  // visitor who has not chosen is not present at all.
  function streamName() {
    if (loggedIn() || !guestChosen) return null;
    const v = currentName();
    return NAME_RE.test(v) && v !== nameRefused ? v : null;
  }

  function isDirect(room) {
    return room.charAt(0) === '@';
  }

  // peerOf names the other person of a conversation.
  function peerOf(room) {
    const two = room.slice(1).split(',');
    return two[0] === me.name ? two[1] : two[0];
  }

  function canOpen(room) {
    if (isDirect(room)) return loggedIn() && DIRECT_RE.test(room) && room.slice(1).split(',').indexOf(me.name) >= 0;
    return knownRooms.indexOf(room) >= 0;
  }

  function roomLabel(room) {
    return isDirect(room) ? '@' + peerOf(room) : '#' + room;
  }

  // loadSession asks the server who we are. Resolves with true when it
  // answered. A 401 means a session cookie the server no longer takes (it
  // ended elsewhere, say by a password change): ask the server to clear
  // it, since scripts cannot (it is HttpOnly), and ask again.
  function loadSession(retried) {
    return client.session().then(
      (d) => {
        accounts = true;
        sessionKnown = true;
        if (d && Number.isInteger(d.max_text) && d.max_text > 0) maxText = d.max_text;
        if (d && d.kind === 'user' && typeof d.name === 'string' && d.name) {
          me = { name: d.name, kind: 'user', admin: !!d.admin };
        } else {
          me = { name: '', kind: 'anonymous', admin: false };
        }
        return true;
      },
      (err) => {
        if (err.status === 401 && !retried) {
          return client.logout().catch(() => {}).then(() => loadSession(true));
        }
        if (err.status === 401) {
          // The server still refuses the cookie: say so (only clearing the
          // browser's cookies for this site helps then).
          accounts = true;
          sessionKnown = true;
          me = { name: '', kind: 'anonymous', admin: false };
          ui.accountError.textContent = err.message;
          return true;
        }
        // 404: a server without accounts; the page is guests-only. No
        // answer: try again once the stream is live.
        if (err.status === 404) {
          accounts = false;
          sessionKnown = true;
        }
        return false;
      },
    );
  }

  function renderAccount() {
    const user = loggedIn();
    ui.guestWho.hidden = user;
    ui.userWho.hidden = !user;
    ui.me.textContent = user ? me.name : '';
    ui.loginOpen.hidden = user || !accounts;
    const open = !user && accounts && authOpen;
    ui.authPanel.hidden = !open;
    ui.loginOpen.setAttribute('aria-expanded', String(open));
    // While the panel is open its guest form holds the name.
    ui.guestWho.classList.toggle('choosing', open);
    if (open) ui.guestName.value = currentName();
    ui.newRoomPrivateRow.hidden = !user;
    if (!user) ui.newRoomPrivate.checked = false;
    document.body.classList.toggle('logged-in', user);
  }

  function setAuthMode(mode) {
    ui.loginForm.dataset.mode = mode;
    const reg = mode === 'register';
    ui.authHeading.textContent = reg ? 'Register' : 'Log in';
    ui.loginSubmit.textContent = reg ? 'Register and log in' : 'Log in';
    ui.authMode.textContent = reg ? 'I have an account' : 'Register';
    ui.loginPassword.autocomplete = reg ? 'new-password' : 'current-password';
    ui.loginError.textContent = '';
  }

  function authErrorText(err, registering) {
    if (registering && err.status === 404) return 'This server does not offer registration.';
    let text = err.message || 'failed';
    if (err.status === 0) text = 'Could not reach the server: ' + text;
    if (err.status === 429 && err.retryAfter > 0) text += ' Try again in ' + err.retryAfter + ' s.';
    return text;
  }

  async function submitLogin(ev) {
    ev.preventDefault();
    const name = ui.loginName.value.trim();
    const password = ui.loginPassword.value;
    const registering = ui.loginForm.dataset.mode === 'register';
    ui.loginError.textContent = '';
    if (!name || !password) {
      ui.loginError.textContent = 'Enter your name and password.';
      (name ? ui.loginPassword : ui.loginName).focus();
      return;
    }
    ui.loginSubmit.disabled = true;
    ui.authMode.disabled = true;
    let stage = registering ? 'register' : 'login';
    try {
      if (registering) await client.register(name, password);
      stage = 'login';
      const d = await client.login(name, password);
      const u = (d && d.user) || {};
      ui.loginPassword.value = '';
      me = { name: typeof u.name === 'string' && u.name ? u.name : name, kind: 'user', admin: !!u.admin };
      authOpen = false;
      setAuthMode('login');
      storageSet(GUEST_KEY, null);
      guestChosen = false;
      await identityChanged();
      ui.input.focus();
    } catch (err) {
      if (registering && stage === 'login') setAuthMode('login'); // the account exists now
      ui.loginError.textContent = authErrorText(err, stage === 'register');
    } finally {
      ui.loginSubmit.disabled = false;
      ui.authMode.disabled = false;
    }
  }

  async function logout() {
    ui.accountError.textContent = '';
    ui.logout.disabled = true;
    try {
      await client.logout();
    } catch (err) {
      // 401: the session had ended already; we are logged out either way.
      if (err.status !== 401) {
        ui.accountError.textContent = 'Could not log out: ' + err.message;
        ui.logout.disabled = false;
        return;
      }
    }
    ui.logout.disabled = false;
    me = { name: '', kind: 'anonymous', admin: false };
    guestChosen = false;
    authOpen = true;
    setAuthMode('login');
    await identityChanged();
    ui.loginName.focus();
  }

  async function continueAsGuest(ev) {
    ev.preventDefault();
    const v = ui.guestName.value.trim();
    ui.guestError.textContent = '';
    if (!NAME_RE.test(v)) {
      ui.guestError.textContent = 'Names are 1–32 letters, digits, “-”, “_” or “.”.';
      ui.guestName.focus();
      return;
    }
    const refused = await checkGuestName(v);
    if (refused) {
      ui.guestError.textContent = refused.message;
      ui.guestName.focus();
      return;
    }
    ui.name.value = v;
    storageSet(NAME_KEY, v);
    storageSet(GUEST_KEY, '1');
    guestChosen = true;
    authOpen = false;
    ui.accountError.textContent = '';
    renderAccount();
    client.setName(streamName());
    renderMembers();
    ui.input.focus();
  }

  // identityChanged follows a log-in or log-out: the readable rooms and
  // conversations change, and the stream must reopen under the new
  // identity (the server reads the cookie when a stream opens).
  async function identityChanged() {
    ui.accountError.textContent = '';
    const wasHidden = new Set();
    roomInfo.forEach((info, name) => { if (info.visibility !== 'public') wasHidden.add(name); });
    directRooms.forEach((name) => wasHidden.add(name));
    await refreshRooms();
    // Forget what we may no longer read.
    wasHidden.forEach((name) => {
      if (knownRooms.indexOf(name) >= 0 && (!isDirect(name) || canOpen(name))) return;
      rooms.delete(name);
      members.delete(name);
      directRooms.delete(name);
      subscribed = subscribed.filter((n) => n !== name);
    });
    if (!canOpen(current)) current = 'lobby';
    if (!isDirect(current) && subscribed.indexOf(current) < 0) subscribed.push(current);
    if (!subscribed.length) subscribed.push('lobby');
    client.reconnect({ rooms: subscribed.slice().sort(), name: streamName() });
    renderAccount(); // shown with the stream already reopening as who we are now
    openRoom(current);
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
    if (m.text && (kind === 'join' || kind === 'leave') && m.from && m.text.startsWith(m.from + ' ')) {
      // "alice has entered" follows the name already shown: say it once.
      return m.text.slice(m.from.length + 1);
    }
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
    li.append(t, ' ', span('from', m.from || ''));
    // A guest's line says so: a guest cannot pass for an account.
    if (m.guest) li.append(' ', span('guest-tag', 'guest'));
    li.append(' ', span('text', displayText(m, kind)));
    const r = rooms.get(m.room);
    if (r && r.target === m.id) li.classList.add('target');
    return li;
  }

  // addMessage files a confirmed message under its room, in id order, and
  // shows it if its room is open. live is true for messages from the
  // stream (they count as unread in other rooms).
  function addMessage(m, live) {
    if (!m || typeof m.id !== 'number' || typeof m.room !== 'string') return;
    if (m.kind === 'delete') { // its text is the ID of the deleted message
      removeMessage(m.room, Number(m.text));
      return;
    }
    if (isDirect(m.room) && !directRooms.has(m.room)) {
      directRooms.add(m.room);
      renderRooms();
    }
    const r = roomState(m.room);
    if (r.ids.has(m.id)) return;
    if (live) matchOutgoing(m);
    if (r.detached && r.msgs.length && m.id > r.msgs[r.msgs.length - 1].id) {
      // Newer than the earlier window on show: there may be a gap before
      // it. "Jump to latest" loads the newest messages again.
      if (live && kindOf(m) === 'message') {
        r.missed++;
        if (m.room === current) renderOlderBar();
        else if (m.from !== myName()) {
          r.unread++;
          renderRooms();
        }
      }
      return;
    }
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
      if (live && kindOf(m) === 'message' && m.from !== myName()) {
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

  // removeMessage drops a deleted message from its room's list and pane.
  function removeMessage(room, id) {
    if (!Number.isInteger(id)) return;
    const r = roomState(room);
    const i = r.msgs.findIndex((x) => x.id === id);
    if (i >= 0) {
      r.msgs.splice(i, 1);
      r.ids.delete(id);
    }
    if (room === current) {
      const el = ui.messages.querySelector('li.msg[data-id="' + id + '"]');
      if (el) el.remove();
    }
  }

  function renderCurrentRoom() {
    const r = roomState(current);
    const label = roomLabel(current);
    ui.roomTitle.textContent = label;
    document.title = label + ' · Parley';
    renderRoomBadge();
    ui.input.placeholder = 'Message ' + label;
    // aria-busy: a screen reader should not read a re-rendered log aloud.
    ui.messages.setAttribute('aria-busy', 'true');
    ui.messages.replaceChildren(...r.msgs.map(messageElement));
    ui.messages.removeAttribute('aria-busy');
    ui.outbox.replaceChildren(...r.outgoing);
    showHistoryStatus(r);
    renderOlderBar();
    renderMembers();
    scrollToBottom();
  }

  // renderOlderBar shows, while the open room shows an earlier window,
  // that it does and how many lines came since.
  function renderOlderBar() {
    const r = roomState(current);
    ui.olderBar.hidden = !r.detached;
    if (!r.detached) return;
    ui.olderNote.textContent = r.missed > 0
      ? 'You are viewing earlier messages; ' + r.missed + ' new since.'
      : 'You are viewing earlier messages.';
  }

  // resetWindow forgets a room's messages, so that its newest ones are
  // loaded again.
  function resetWindow(r) {
    r.epoch++;
    r.msgs = [];
    r.ids = new Set();
    r.history = 'none';
    r.historyError = null;
    r.detached = false;
    r.missed = 0;
    r.target = null;
  }

  // jumpToLatest leaves an earlier window for the newest messages, which
  // the stream then keeps current as usual.
  function jumpToLatest() {
    const r = roomState(current);
    if (!r.detached) return;
    resetWindow(r);
    renderCurrentRoom();
    loadHistory(r);
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
    if (isDirect(r.name) && !loggedIn()) return;
    r.history = 'loading';
    showHistoryStatus(r);
    const epoch = r.epoch;
    const page = { limit: HISTORY_LIMIT };
    const get = isDirect(r.name) ? client.directHistory(peerOf(r.name), page) : client.history(r.name, page);
    get.then(
      (msgs) => {
        if (rooms.get(r.name) !== r) return; // forgotten meanwhile (logged out)
        if (r.epoch !== epoch) return; // replaced meanwhile (a search hit opened)
        r.history = 'done';
        r.historyError = null;
        msgs.forEach((m) => addMessage(m, false));
        showHistoryStatus(r);
      },
      (err) => {
        if (rooms.get(r.name) !== r || r.epoch !== epoch) return;
        if (isDirect(r.name) && (err.code === 'not_found' || err.code === 'invalid')) {
          // A conversation starts with its first line; before it, the
          // server answers 404 (or 400: it checks the name as a room's).
          r.history = 'done';
          r.historyError = null;
          showHistoryStatus(r);
          return;
        }
        // Retried when the stream is live again or the room is reopened.
        r.history = 'none';
        r.historyError = err.message;
        showHistoryStatus(r);
      },
    );
  }

  // ---- rooms and conversations ------------------------------------------

  // keyed renders list from items [{key, sig, fill(li)}]. A key's <li> is
  // kept from one render to the next, so that focus (and a click on its
  // way) survives an update, and is refilled only when its sig changed.
  const liKey = new WeakMap();
  const liSig = new WeakMap();
  function keyed(list, items) {
    const old = new Map();
    Array.from(list.children).forEach((li) => old.set(liKey.get(li), li));
    items.forEach((it, i) => {
      let li = old.get(it.key);
      old.delete(it.key);
      if (!li) {
        li = document.createElement('li');
        liKey.set(li, it.key);
      }
      if (liSig.get(li) !== it.sig) {
        it.fill(li);
        liSig.set(li, it.sig);
      }
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    old.forEach((li) => li.remove());
  }

  // roomItem is the list entry of a room or conversation: a button.
  // badge: a visible mark ('private'), said by ariaLabel already.
  function roomItem(name, label, ariaLabel, o) {
    const r = roomState(name);
    const unread = name !== current ? r.unread : 0;
    const isCurrent = name === current;
    return {
      key: name,
      sig: JSON.stringify([label, ariaLabel, o, unread, isCurrent]),
      fill(li) {
        let b = li.firstElementChild;
        if (!b) {
          b = document.createElement('button');
          b.type = 'button';
          li.append(b);
        }
        b.className = 'room' + (o.dm ? ' dm' : '');
        b.dataset.room = name;
        b.dataset.visibility = o.visibility;
        if (o.user) b.dataset.user = o.user;
        const parts = [span('room-name', label)];
        if (o.badge) {
          const badge = span('badge private-badge', o.badge);
          badge.setAttribute('aria-hidden', 'true'); // the label says it
          parts.push(badge);
        }
        let aria = ariaLabel;
        if (unread > 0) {
          const count = span('unread', String(unread));
          count.setAttribute('aria-hidden', 'true');
          parts.push(count);
          aria += ', ' + unread + ' unread';
        }
        b.replaceChildren(...parts);
        if (aria !== label) b.setAttribute('aria-label', aria);
        else b.removeAttribute('aria-label');
        if (isCurrent) b.setAttribute('aria-current', 'true');
        else b.removeAttribute('aria-current');
      },
    };
  }

  function renderRooms() {
    const names = knownRooms.filter((n) => !isDirect(n));
    subscribed.concat(isDirect(current) ? [] : [current]).forEach((n) => {
      if (names.indexOf(n) < 0) names.push(n);
    });
    names.sort();
    keyed(ui.rooms, names.map((name) => {
      const info = roomInfo.get(name);
      const visibility = info ? info.visibility : 'public';
      const priv = visibility === 'private';
      return roomItem(name, '#' + name, name + (priv ? ', private room' : ''),
        { visibility, badge: priv ? 'private' : '' });
    }));

    const dms = loggedIn() ? Array.from(directRooms).filter(canOpen) : [];
    if (loggedIn() && isDirect(current) && dms.indexOf(current) < 0) dms.push(current);
    dms.sort((a, b) => peerOf(a).localeCompare(peerOf(b)));
    keyed(ui.dms, dms.map((name) => {
      const peer = peerOf(name);
      return roomItem(name, '@' + peer, 'Direct messages with ' + peer, { visibility: 'direct', dm: true, user: peer });
    }));
    ui.dmSection.hidden = !loggedIn();
    ui.dmsEmpty.hidden = dms.length > 0;
  }

  let roomsFetchedAt = 0;
  function refreshRooms() {
    roomsFetchedAt = Date.now();
    return client.listRooms().then(
      (list) => {
        const named = list.filter((r) => r && typeof r.name === 'string');
        knownRooms = named.map((r) => r.name);
        roomInfo.clear();
        named.forEach((r) => {
          const visibility = r.visibility || (isDirect(r.name) ? 'direct' : 'public');
          roomInfo.set(r.name, { visibility, topic: r.topic || '' });
          if (visibility === 'direct' || isDirect(r.name)) directRooms.add(r.name);
        });
        renderRooms();
        renderRoomBadge();
        return knownRooms;
      },
      () => knownRooms, // keep the last list; the status shows the outage
    );
  }

  // renderRoomBadge marks the open room as private or a conversation.
  function renderRoomBadge() {
    const info = roomInfo.get(current);
    let text = '';
    if (isDirect(current)) text = 'direct message';
    else if (info && info.visibility === 'private') text = 'private';
    ui.roomBadge.textContent = text;
    ui.roomBadge.hidden = !text;
  }

  // subscribe adds room to the stream. The server takes at most 32 rooms,
  // so the least recently opened one is dropped, with its messages: they
  // would have a gap by the time it is reopened. Conversations are on
  // every logged-in stream without asking.
  function subscribe(name) {
    if (isDirect(name)) return;
    const i = subscribed.indexOf(name);
    if (i >= 0) {
      subscribed.splice(i, 1);
      subscribed.push(name);
      return; // reordering only: no need to reconnect
    }
    subscribed.push(name);
    while (subscribed.length > MAX_SUBSCRIBED) {
      const gone = subscribed.shift();
      const old = rooms.get(gone);
      if (old) {
        resetWindow(old);
        old.unread = 0;
      }
      members.delete(gone);
      membersFresh.delete(gone);
    }
    client.setRooms(subscribed.slice().sort());
  }

  // roomFromHash reads "#room" (or "#@a,b", a conversation) from the
  // address, or null.
  function roomFromHash() {
    let want = '';
    try {
      want = decodeURIComponent(location.hash.slice(1));
    } catch (err) {
      return null; // malformed escape
    }
    return ROOM_RE.test(want) || DIRECT_RE.test(want) ? want : null;
  }

  function openRoom(name) {
    current = name;
    if (isDirect(name)) directRooms.add(name);
    const r = roomState(name);
    r.unread = 0;
    if (roomFromHash() !== name) history.replaceState(null, '', '#' + name);
    subscribe(name);
    renderRooms();
    const b = document.querySelector('.sidebar [aria-current="true"]');
    if (b && b.scrollIntoView) b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    renderCurrentRoom();
    loadHistory(r);
    if (client.state === 'live' && !membersFresh.has(name)) loadMembers(name);
  }

  // openDirect opens the conversation with user (a registered user, not
  // ourselves); it exists on the server once the first line is sent.
  function openDirect(user) {
    if (!loggedIn() || !user || user === me.name) return;
    showMembersPanel(false);
    openRoom(Parley.directRoom(me.name, user));
    ui.input.focus();
  }

  function createRoom(ev) {
    ev.preventDefault();
    const name = ui.newRoom.value.trim().toLowerCase();
    const priv = loggedIn() && ui.newRoomPrivate.checked;
    ui.roomError.textContent = '';
    if (!ROOM_RE.test(name)) {
      ui.roomError.textContent = 'Room names are 1–32 characters: lowercase letters, digits, “-” and “_”, starting with a letter or digit.';
      return;
    }
    const opts = loggedIn() ? {} : { as: currentName() };
    if (priv) opts.visibility = 'private';
    client.createRoom(name, opts).then(
      (room) => {
        roomInfo.set(name, { visibility: (room && room.visibility) || (priv ? 'private' : 'public'), topic: '' });
        return true;
      },
      (err) => {
        if (err.code === 'conflict') return true; // it exists: just go there
        ui.roomError.textContent = err.message;
        return false;
      },
    ).then((ok) => {
      if (!ok) return;
      ui.newRoom.value = '';
      ui.newRoomPrivate.checked = false;
      if (knownRooms.indexOf(name) < 0) knownRooms.push(name);
      openRoom(name);
      refreshRooms();
    });
  }

  // ---- members ------------------------------------------------------------

  function membersOf(room) {
    let m = members.get(room);
    if (!m) {
      m = new Map();
      members.set(room, m);
    }
    return m;
  }

  // Who is online comes from a member list (GET /api/rooms/{room}/members
  // when the stream gets live or a room is opened, or a 'members' event if
  // the server sends one on the stream), kept current by the join and
  // leave notices on the stream.
  const membersFresh = new Set(); // rooms with a list from this connection
  const membersLoading = new Map(); // room -> {notices, replaced}: a GET in flight

  // setMembers replaces what we knew of room.
  function setMembers(room, list) {
    const m = new Map();
    list.forEach((p) => {
      m.set(p.name, { name: p.name, guest: p.guest });
      guestFlags.set(p.name, p.guest);
    });
    members.set(room, m);
    membersFresh.add(room);
  }

  // onMembers takes a member list from the stream: in order with the
  // notices, it simply replaces what we knew.
  function onMembers(e) {
    setMembers(e.room, e.members);
    const loading = membersLoading.get(e.room);
    if (loading) loading.replaced = true;
    if (e.room === current) renderMembers();
  }

  // loadMembers asks the server who is in room now. The answer may be
  // older or newer than a notice that arrives meanwhile, so the notices
  // received since the request are applied again on top of it, in order:
  // each says where its person is, as of when it was committed, which is
  // at least as recent as what the answer says of them.
  function loadMembers(room, again) {
    if (isDirect(room) || membersLoading.has(room)) return;
    const loading = { notices: [], replaced: false };
    membersLoading.set(room, loading);
    client.listMembers(room).then((list) => {
      membersLoading.delete(room);
      // A list the stream sent meanwhile is in order with the notices:
      // it stands, and the answer only says who is a guest.
      if (!loading.replaced) {
        setMembers(room, list);
        loading.notices.forEach(applyNotice);
      }
      list.forEach((p) => guestFlags.set(p.name, p.guest));
      let unknown = false;
      membersOf(room).forEach((p) => {
        if (p.guest == null && guestFlags.has(p.name)) p.guest = guestFlags.get(p.name);
        if (p.guest == null) unknown = true;
      });
      if (room === current) renderMembers();
      // Someone who joined as the answer was on its way: ask once more
      // whether they are a guest.
      if (unknown && (again || 0) < 2) loadMembers(room, (again || 0) + 1);
    }, () => membersLoading.delete(room)); // keep what the notices say
  }

  // presenceFrom follows join and leave notices from the stream (not from
  // history: those are past). Their from is the person.
  function presenceFrom(m) {
    if (!m || (m.kind !== 'join' && m.kind !== 'leave') || typeof m.room !== 'string' || !m.from) return;
    const loading = membersLoading.get(m.room);
    if (loading) loading.notices.push(m);
    applyNotice(m);
    if (m.room === current) renderMembers();
  }

  function applyNotice(m) {
    const list = membersOf(m.room);
    if (m.kind === 'leave') {
      list.delete(m.from);
      return;
    }
    if (list.has(m.from)) return;
    // A join notice does not say whether its person is a guest: the
    // member list does.
    const known = guestFlags.has(m.from);
    list.set(m.from, { name: m.from, guest: known ? guestFlags.get(m.from) : null });
    if (!known) loadMembers(m.room);
  }

  function isSelf(p) {
    if (loggedIn()) return p.name === me.name && p.guest !== true;
    return p.name === streamName() && p.guest !== false;
  }

  // memberItem is the list entry of a person online: a button that opens
  // a conversation with them, when we may write to them.
  function memberItem(p) {
    const self = isSelf(p);
    const dm = loggedIn() && !self && p.guest !== true;
    return {
      key: p.name,
      sig: JSON.stringify([p.guest, self, dm]),
      fill(li) {
        li.className = 'member' + (p.guest ? ' guest' : '');
        li.dataset.name = p.name;
        li.dataset.guest = String(p.guest === true);
        const parts = [];
        if (dm) {
          const b = document.createElement('button');
          b.type = 'button';
          b.className = 'member-dm';
          b.dataset.user = p.name;
          b.textContent = p.name;
          b.title = 'Send ' + p.name + ' a direct message';
          b.setAttribute('aria-label', p.name + ': send a direct message');
          parts.push(b);
        } else {
          parts.push(span('member-name', p.name));
        }
        if (p.guest) parts.push(' ', span('guest-tag', '(guest)'));
        if (self) parts.push(' ', span('you-tag', '(you)'));
        li.replaceChildren(...parts);
      },
    };
  }

  function renderMembers() {
    const list = members.get(current);
    const people = list ? Array.from(list.values()) : [];
    people.sort((a, b) => a.name.localeCompare(b.name));
    keyed(ui.members, people.map(memberItem));
    ui.membersEmpty.textContent = isDirect(current) && loggedIn()
      ? 'Only you and ' + peerOf(current) + ' can read this conversation.'
      : 'No one is here right now.';
    ui.membersEmpty.hidden = people.length > 0;
    ui.membersCount.textContent = String(people.length);
    ui.membersToggleCount.textContent = String(people.length);
    ui.membersToggle.setAttribute('aria-label', 'Members online: ' + people.length);
  }

  // On narrow screens the member list is a panel over the chat.
  function showMembersPanel(open) {
    ui.membersPanel.classList.toggle('open', open);
    ui.membersToggle.setAttribute('aria-expanded', String(open));
    if (open) {
      const first = ui.members.querySelector('button') || ui.membersClose;
      if (first) first.focus();
    }
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
    // The writer wants to see their line among the newest ones.
    if (roomState(current).detached) jumpToLatest();
    const item = {
      room: current,
      to: isDirect(current) ? peerOf(current) : null, // a direct message's recipient
      text,
      name: myName(), // the sender, as the line will show it
      guestName: loggedIn() ? null : currentName(), // what the POST names
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
        const m = item.to
          ? await client.sendDirect(item.to, item.text)
          : await client.send(item.room, item.text, item.guestName);
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

  // updateCounter shows how long the line is once it nears the server's
  // limit, and marks it when it is over.
  function updateCounter() {
    const n = [...ui.input.value].length; // characters, as the server counts
    const near = maxText > 0 && n > maxText * 0.8;
    ui.counter.hidden = !near;
    ui.counter.classList.toggle('over', maxText > 0 && n > maxText);
    ui.counter.textContent = near ? n + ' / ' + maxText : '';
    return n;
  }

  function submitLine(ev) {
    ev.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    if (maxText > 0 && updateCounter() > maxText) {
      // Too long to send: keep it in the composer for editing.
      ui.counter.textContent = [...text].length + ' / ' + maxText + ': too long to send, shorten it';
      ui.input.focus();
      return;
    }
    ui.input.value = '';
    updateCounter();
    autosize();
    enqueue(text);
  }

  function onInputKey(ev) {
    // Enter sends; Shift+Enter is a newline; never while an IME composes.
    if (ev.key !== 'Enter' || ev.shiftKey || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.isComposing || ev.keyCode === 229) return;
    submitLine(ev);
  }

  // ---- search -------------------------------------------------------------

  // Results come from GET /api/search (parley.js search()). A result opens
  // its message in context: the lines around it, as an earlier window of
  // its room (see renderOlderBar). Snippets are built from text nodes and
  // <mark> elements, never from HTML.
  let search = null; // {q, room, next}: the search on show
  let searchSeq = 0; // answers to older requests are dropped
  let searchCtl = null; // AbortController of the request in flight
  let contextSeq = 0; // the same, for opening a result

  function setSearchStatus(text, isError) {
    ui.searchStatus.textContent = text;
    if (isError) ui.searchStatus.dataset.error = 'true';
    else delete ui.searchStatus.dataset.error;
    ui.searchStatus.setAttribute('role', isError ? 'alert' : 'status');
  }

  function searchErrorText(err) {
    const msg = err.message || 'failed';
    if (err.status === 0) return 'Could not search: ' + (msg === 'request timed out' ? 'the server did not answer in time.' : 'the server could not be reached.');
    if (err.status === 400) return 'Cannot search for that: ' + msg;
    if (err.status === 401 || err.status === 403) return 'Not allowed to search there: ' + msg;
    if (err.status === 404) return msg;
    if (err.status === 429) return 'Too many searches: ' + msg + (err.retryAfter > 0 ? ' Try again in ' + err.retryAfter + ' s.' : '');
    if (err.status === 503) return 'The search did not finish: ' + msg;
    return 'The search failed: ' + msg;
  }

  function cancelSearch() {
    searchSeq++;
    if (searchCtl) searchCtl.abort();
    searchCtl = null;
    ui.searchPanel.removeAttribute('aria-busy');
  }

  function submitSearch(ev) {
    ev.preventDefault();
    const q = ui.searchQ.value.trim();
    cancelSearch();
    ui.searchPanel.hidden = false;
    ui.searchResults.replaceChildren();
    ui.searchMore.hidden = true;
    if (!q) {
      search = null;
      setSearchStatus('Type the words to search for.', true);
      ui.searchQ.focus();
      return;
    }
    search = { q, room: ui.searchHere.checked ? current : '', next: null };
    fetchSearch(search, false);
  }

  // fetchSearch asks for the first page of s, or with more the next one.
  function fetchSearch(s, more) {
    cancelSearch();
    const seq = searchSeq;
    const ctl = typeof AbortController === 'function' ? new AbortController() : null;
    searchCtl = ctl;
    ui.searchMore.hidden = true;
    ui.searchPanel.setAttribute('aria-busy', 'true');
    setSearchStatus(more ? 'Loading more results…' : 'Searching…', false);
    const opts = { limit: SEARCH_LIMIT, signal: ctl ? ctl.signal : undefined };
    if (s.room) opts.room = s.room;
    if (more) opts.cursor = s.next;
    client.search(s.q, opts).then(
      (page) => {
        if (seq !== searchSeq) return;
        searchCtl = null;
        ui.searchPanel.removeAttribute('aria-busy');
        page.results.forEach((res) => ui.searchResults.append(searchItem(res)));
        s.next = page.next;
        ui.searchMore.hidden = !page.next;
        const n = ui.searchResults.children.length;
        const where = s.room ? ' in ' + roomLabel(s.room) : '';
        setSearchStatus(n === 0
          ? 'No messages found' + where + '.'
          : n + (n === 1 ? ' message' : ' messages') + where + (page.next ? ', more below.' : '.'), false);
      },
      (err) => {
        if (seq !== searchSeq) return;
        searchCtl = null;
        ui.searchPanel.removeAttribute('aria-busy');
        setSearchStatus(searchErrorText(err), true);
        ui.searchMore.hidden = !(more && s.next); // a failed "more" may be tried again
      },
    );
  }

  // searchItem is the list entry of one result: a button that opens the
  // message in context.
  function searchItem(res) {
    const m = res.message;
    const li = document.createElement('li');
    li.className = 'search-hit';
    li.dataset.id = String(m.id);
    li.dataset.room = String(m.room);

    const t = document.createElement('time');
    t.className = 'hit-time';
    const d = parseTime(m.time);
    if (d) {
      t.dateTime = d.toISOString();
      t.textContent = d.toLocaleDateString() + ' ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
      t.title = d.toLocaleString();
    }
    const head = span('hit-head', '');
    head.append(span('hit-room', isDirect(m.room) && loggedIn() ? roomLabel(m.room) : (isDirect(m.room) ? m.room : '#' + m.room)),
      ' ', span('hit-from', m.from || ''), ' ', t);

    const snippet = span('hit-snippet', '');
    const parts = Array.isArray(res.snippet) && res.snippet.length ? res.snippet : [{ text: m.text || '' }];
    parts.forEach((p) => {
      if (!p || typeof p.text !== 'string') return;
      if (p.match) {
        const mark = document.createElement('mark');
        mark.textContent = p.text;
        snippet.append(mark);
      } else {
        snippet.append(document.createTextNode(p.text));
      }
    });

    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'search-open';
    b.append(head, snippet);
    li.append(b);
    return li;
  }

  function onResultClick(ev) {
    const b = ev.target.closest('button.search-open');
    if (!b) return;
    const li = b.parentElement;
    Array.from(ui.searchResults.children).forEach((x) => x.removeAttribute('aria-current'));
    li.setAttribute('aria-current', 'true');
    openInContext(li.dataset.room, Number(li.dataset.id));
  }

  // openInContext opens room with the lines around message id (up to
  // CONTEXT_LIMIT each side), scrolls to it and marks it. When the lines
  // after it reach the newest, the room simply stays live; otherwise it
  // shows an earlier window until "Jump to latest".
  async function openInContext(room, id) {
    const seq = ++contextSeq;
    if (!Number.isInteger(id) || id <= 0) return;
    if (!canOpen(room)) await refreshRooms();
    if (seq !== contextSeq) return;
    if (!canOpen(room)) {
      setSearchStatus('Cannot open ' + room + ' on this page.', true);
      return;
    }
    setSearchStatus('Opening the message…', false);
    const get = (page) => (isDirect(room) ? client.directHistory(peerOf(room), page) : client.history(room, page));
    let before;
    let after;
    try {
      [before, after] = await Promise.all([
        get({ before: id + 1, limit: CONTEXT_LIMIT }), // the message and the lines before it
        get({ after: id, limit: CONTEXT_LIMIT }),
      ]);
    } catch (err) {
      if (seq === contextSeq) setSearchStatus('Could not open the message: ' + err.message, true);
      return;
    }
    if (seq !== contextSeq) return;
    if (!before.some((m) => m.id === id)) {
      setSearchStatus('That message is gone: it was deleted or has expired.', true);
      return;
    }
    const r = roomState(room);
    const reachesLatest = after.length < CONTEXT_LIMIT;
    // Reaching the newest lines, the window joins what the stream brought
    // meanwhile (if the room was live), and the room stays live.
    const keep = reachesLatest && !r.detached
      ? r.msgs.filter((m) => m.id > id).slice(-(MAX_MESSAGES - 2 * CONTEXT_LIMIT))
      : [];
    const byId = new Map();
    before.concat(after, keep).forEach((m) => {
      if (m && typeof m.id === 'number' && m.kind !== 'delete') byId.set(m.id, m);
    });
    resetWindow(r);
    r.msgs = Array.from(byId.values()).sort((a, b) => a.id - b.id);
    r.msgs.forEach((m) => r.ids.add(m.id));
    r.history = 'done';
    r.detached = !reachesLatest;
    r.target = id;
    if (current !== room) openRoom(room);
    else renderCurrentRoom();
    const el = ui.messages.querySelector('li.msg[data-id="' + id + '"]');
    if (el) el.scrollIntoView({ block: 'center' });
    setSearchStatus('Showing the message in ' + roomLabel(room) + '.', false);
  }

  // ---- connection status ------------------------------------------------

  const TRANSPORT_LABELS = { ws: 'websocket', sse: 'event stream', poll: 'long-polling' };

  function showState(s) {
    ui.status.textContent = s;
    ui.conn.dataset.state = s;
    // The transport is shown only while live: while connecting, auto mode
    // may still be trying one after another.
    const t = s === 'live' ? client.transportName : '';
    ui.transport.dataset.transport = t;
    ui.transport.textContent = TRANSPORT_LABELS[t] || t;
    ui.transport.hidden = !t;
    if (s !== 'live') membersFresh.clear(); // the next connection gets new lists
    if (s === 'live') {
      loadMembers(current);
      // Retry at once what failed while we were offline.
      loadHistory(roomState(current));
      if (!knownRooms.length) refreshRooms();
      if (queue.length && queue[0].wake) queue[0].wake();
      if (!sessionKnown) {
        loadSession().then((ok) => {
          if (!ok) return;
          authOpen = !loggedIn() && !guestChosen;
          if (loggedIn()) identityChanged();
          else renderAccount();
        });
      }
    }
  }

  // onStreamError: a guest name the server will not take (a registered
  // user's, say) makes it refuse the stream. Go on without presence rather
  // than not at all. A login session that ended elsewhere (a password
  // change) makes it 401: find out who we are now.
  function onStreamError(err) {
    if (!err) return;
    if (client.name && (err.code === 'conflict' || err.code === 'invalid')) {
      ui.accountError.textContent = 'Not shown as present: ' + err.message;
      client.setName(null);
    } else if (err.status === 401 && loggedIn()) {
      sessionEnded();
    } else if (err.status === 403 || err.status === 404 || err.status === 0) {
      // Browsers hide why an event stream or WebSocket was refused
      // (status 0), so any failure may be a room we lost.
      pruneRooms();
    }
  }

  // pruneRooms follows a stream refused for one of its rooms: we were
  // removed from a private room, or it was deleted. Keep only the rooms the
  // server still lists for us and reopen the stream with those; without
  // this the stream would be refused again at every retry. It asks the
  // server at most every few seconds.
  let pruning = false;
  let prunedAt = 0;
  async function pruneRooms() {
    if (pruning || Date.now() - prunedAt < 3000) return;
    pruning = true;
    prunedAt = Date.now();
    try {
      await refreshRooms();
      const gone = subscribed.filter((n) => !isDirect(n) && knownRooms.indexOf(n) < 0);
      if (!gone.length) return; // refused for another reason: keep retrying
      gone.forEach((n) => {
        rooms.delete(n);
        members.delete(n);
        membersFresh.delete(n);
      });
      subscribed = subscribed.filter((n) => gone.indexOf(n) < 0);
      if (!canOpen(current)) current = 'lobby';
      if (!isDirect(current) && subscribed.indexOf(current) < 0) subscribed.push(current);
      if (!subscribed.length) subscribed.push('lobby');
      client.setRooms(subscribed.slice().sort());
      openRoom(current);
    } finally {
      pruning = false;
    }
  }

  // sessionEnded: the server no longer takes our session cookie: back to
  // the log-in form (loadSession has the cookie cleared).
  let ending = false;
  function sessionEnded() {
    if (ending) return;
    ending = true;
    loadSession().then(() => {
      ending = false;
      if (loggedIn()) return; // it was something else
      ui.accountError.textContent = 'Your session has ended: log in again.';
      authOpen = true;
      identityChanged();
    });
  }

  // ---- start ------------------------------------------------------------

  // transportFromQuery reads ?transport=ws|sse|poll, for tests and
  // debugging; anything else means 'auto'.
  function transportFromQuery() {
    const t = new URLSearchParams(location.search).get('transport');
    return t && Object.prototype.hasOwnProperty.call(Parley.transports, t) ? t : 'auto';
  }

  async function start() {
    client = new Parley.Client({ rooms: ['lobby'], last: HISTORY_LIMIT, transport: transportFromQuery() });
    initName();

    ui.composer.addEventListener('submit', submitLine);
    ui.input.addEventListener('keydown', onInputKey);
    ui.input.addEventListener('input', autosize);
    ui.input.addEventListener('input', updateCounter);
    ui.newRoomForm.addEventListener('submit', createRoom);
    ui.loginForm.addEventListener('submit', submitLogin);
    ui.authMode.addEventListener('click', () => {
      setAuthMode(ui.loginForm.dataset.mode === 'register' ? 'login' : 'register');
      ui.loginName.focus();
    });
    ui.guestForm.addEventListener('submit', continueAsGuest);
    ui.loginOpen.addEventListener('click', () => {
      authOpen = ui.authPanel.hidden;
      renderAccount();
      if (authOpen) ui.loginName.focus();
    });
    ui.logout.addEventListener('click', logout);
    const onRoomClick = (ev) => {
      const b = ev.target.closest('button.room');
      if (b && b.dataset.room !== current) openRoom(b.dataset.room);
    };
    ui.rooms.addEventListener('click', onRoomClick);
    ui.dms.addEventListener('click', onRoomClick);
    ui.members.addEventListener('click', (ev) => {
      const b = ev.target.closest('button.member-dm');
      if (b) openDirect(b.dataset.user);
    });
    ui.membersToggle.addEventListener('click', () => showMembersPanel(!ui.membersPanel.classList.contains('open')));
    ui.membersClose.addEventListener('click', () => {
      showMembersPanel(false);
      ui.membersToggle.focus();
    });
    ui.membersPanel.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && ui.membersPanel.classList.contains('open')) {
        showMembersPanel(false);
        ui.membersToggle.focus();
      }
    });
    ui.newBelow.addEventListener('click', scrollToBottom);
    ui.jumpLatest.addEventListener('click', jumpToLatest);
    ui.searchForm.addEventListener('submit', submitSearch);
    ui.searchResults.addEventListener('click', onResultClick);
    ui.searchMore.addEventListener('click', () => { if (search && search.next) fetchSearch(search, true); });
    const closeSearch = () => {
      cancelSearch();
      contextSeq++;
      ui.searchPanel.hidden = true;
    };
    ui.searchClose.addEventListener('click', () => {
      closeSearch();
      ui.searchQ.focus();
    });
    ui.searchPanel.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        closeSearch();
        ui.searchQ.focus();
      }
    });
    ui.pane.addEventListener('scroll', () => {
      if (atBottom()) ui.newBelow.hidden = true;
    });
    window.addEventListener('hashchange', () => {
      const want = roomFromHash();
      if (!want || want === current) return;
      if (canOpen(want)) openRoom(want);
      else refreshRooms().then(() => { if (canOpen(want)) openRoom(want); });
    });
    window.addEventListener('focus', () => {
      if (Date.now() - roomsFetchedAt > 10000) refreshRooms();
    });
    window.addEventListener('online', () => {
      if (queue.length && queue[0].wake) queue[0].wake();
    });
    // Leaving the page ends presence at once (a long-poller's session
    // would otherwise linger for its lease); back from the cache, resume.
    window.addEventListener('pagehide', () => client.close());
    window.addEventListener('pageshow', (ev) => { if (ev.persisted) client.connect(); });

    // Who we are decides what the stream carries: learn it first.
    await loadSession();
    if (guestChosen && !loggedIn()) {
      const refused = await checkGuestName(currentName());
      if (refused) ui.accountError.textContent = refused.message;
    }
    authOpen = accounts && !loggedIn() && !guestChosen;
    renderAccount();
    setAuthMode('login');

    // Subscribe only to rooms known to exist: one unknown room would make
    // the server refuse the whole stream.
    await refreshRooms();
    const want = roomFromHash();
    current = want && canOpen(want) ? want : 'lobby';
    subscribed = [isDirect(current) ? 'lobby' : current];
    client.setRooms(subscribed);
    client.setName(streamName());
    client.on('state', showState);
    client.on('message', (m) => {
      presenceFrom(m);
      addMessage(m, true);
    });
    client.on('members', onMembers);
    client.on('error', onStreamError);
    client.connect();
    openRoom(current);
    if (window.matchMedia && window.matchMedia('(pointer: fine)').matches) {
      (authOpen ? ui.loginName : ui.input).focus();
    }
  }

  start();
})();
