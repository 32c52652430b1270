// messages.js: a room's messages: filing them in id order, rendering
// them, history, and the window on earlier messages.

import {
  HISTORY_LIMIT,
  KINDS,
  MAX_MESSAGES,
  directRooms,
  isDirect,
  loggedIn,
  members,
  peerOf,
  roomLabel,
  roomState,
  rooms,
  state,
  ui,
  unseen,
} from './state.js';
import { pad2, parseTime, span } from './dom.js';
import { formatText, mentions } from './format.js';
import { notify } from './notify.js';
import { applyChange, decorate } from './lines.js';
import { heldBefore, placeDivider, seen } from './read.js';
import { myName } from './account.js';
import { renderRoomBadge, renderRooms } from './rooms.js';
import { renderMembers } from './people.js';
import { matchOutgoing } from './outbox.js';

// ---- scrolling --------------------------------------------------------

export function atBottom() {
  const p = ui.pane;
  return p.scrollHeight - p.scrollTop - p.clientHeight < 40;
}

export function scrollToBottom() {
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
  if (kind === 'message') {
    // Light formatting, links and mentions, built as DOM nodes.
    const f = formatText(m.text || '', { me: myName(), known: (name) => knownIn(m.room, name) });
    const text = span('text', '');
    text.append(...f.nodes);
    li.append(' ', text);
    if (f.mentionsMe && m.from !== myName()) li.classList.add('mentions-me');
    decorate(li, m);
  } else {
    li.append(' ', span('text', displayText(m, kind)));
  }
  const r = rooms.get(m.room);
  if (r && r.target === m.id) li.classList.add('target');
  return li;
}

// knownIn reports whether name is someone of room: online there, or the
// author of a line we hold. Only their @mentions are marked.
function knownIn(room, name) {
  const want = name.toLowerCase();
  const here = members.get(room);
  if (here) {
    for (const n of here.keys()) if (n.toLowerCase() === want) return true;
  }
  const r = rooms.get(room);
  return !!r && r.msgs.some((x) => x.from && x.from.toLowerCase() === want);
}

// counted notes an unseen live line of another room (or of the open room
// while the page is in the background): unread, mentions, and a browser
// notification for a mention or a direct message.
function counted(r, m) {
  const forMe = mentions(m.text, myName()) || isDirect(m.room);
  if (m.room !== state.current) {
    r.unread++;
    if (forMe) r.mentions++;
    renderRooms();
  }
  if (forMe) notify(m);
}

// addMessage files a confirmed message under its room, in id order, and
// shows it if its room is open. live is true for messages from the
// stream (they count as unread in other rooms).
export function addMessage(m, live) {
  if (!m || typeof m.id !== 'number' || typeof m.room !== 'string') return;
  if (m.kind === 'delete') { // ref (older entries: the text) is the deleted message
    removeMessage(m.room, m.ref || Number(m.text));
    return;
  }
  if (m.kind === 'edit' || m.kind === 'react' || m.kind === 'unreact') {
    if (applyChange(m)) rerenderLine(m.room, m.ref);
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
      if (m.room === state.current) renderOlderBar();
      else if (m.from !== myName() && unseen(m)) counted(r, m);
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

  if (m.room !== state.current) {
    if (live && kindOf(m) === 'message' && m.from !== myName() && unseen(m)) counted(r, m);
    return;
  }
  if (live && kindOf(m) === 'message' && m.from !== myName() && document.hidden) counted(r, m);
  seen(m.room, m.id);
  const stick = atBottom();
  const oldest = ui.messages.querySelector('li.msg');
  if (trimmed && oldest) oldest.remove();
  const isNewest = i === r.msgs.length - 1;
  const next = r.msgs[i + 1];
  const after = next ? ui.messages.querySelector('li.msg[data-id="' + next.id + '"]') : null;
  ui.messages.insertBefore(messageElement(m), after);
  if (heldBefore(r, m, live)) placeDivider(r);
  if (stick) scrollToBottom();
  else if (isNewest && live) ui.newBelow.hidden = false;
}

// rerenderLine draws line id of room again, after a change.
export function rerenderLine(room, id) {
  if (room !== state.current) return;
  const r = roomState(room);
  const m = r.msgs.find((x) => x.id === id);
  const el = ui.messages.querySelector('li.msg[data-id="' + id + '"]');
  if (m && el) el.replaceWith(messageElement(m));
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
  if (room === state.current) {
    const el = ui.messages.querySelector('li.msg[data-id="' + id + '"]');
    if (el) el.remove();
  }
}

export function renderCurrentRoom() {
  const r = roomState(state.current);
  const label = roomLabel(state.current);
  ui.roomTitle.textContent = label;
  document.title = label + ' · Parley';
  renderRoomBadge();
  ui.input.placeholder = 'Message ' + label;
  // aria-busy: a screen reader should not read a re-rendered log aloud.
  ui.messages.setAttribute('aria-busy', 'true');
  ui.messages.replaceChildren(...r.msgs.map(messageElement));
  ui.messages.removeAttribute('aria-busy');
  ui.outbox.replaceChildren(...r.outgoing);
  placeDivider(r);
  if (r.msgs.length && !r.detached) seen(r.name, r.msgs[r.msgs.length - 1].id);
  showHistoryStatus(r);
  renderOlderBar();
  renderMembers();
  scrollToBottom();
}

// renderOlderBar shows, while the open room shows an earlier window,
// that it does and how many lines came since.
function renderOlderBar() {
  const r = roomState(state.current);
  ui.olderBar.hidden = !r.detached;
  if (!r.detached) return;
  ui.olderNote.textContent = r.missed > 0
    ? 'You are viewing earlier messages; ' + r.missed + ' new since.'
    : 'You are viewing earlier messages.';
}

// resetWindow forgets a room's messages, so that its newest ones are
// loaded again.
export function resetWindow(r) {
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
export function jumpToLatest() {
  const r = roomState(state.current);
  if (!r.detached) return;
  resetWindow(r);
  renderCurrentRoom();
  loadHistory(r);
}

function showHistoryStatus(r) {
  if (r.name !== state.current) return;
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

export function loadHistory(r) {
  if (r.history !== 'none') return;
  if (isDirect(r.name) && !loggedIn()) return;
  r.history = 'loading';
  showHistoryStatus(r);
  const epoch = r.epoch;
  const page = { limit: HISTORY_LIMIT };
  const get = isDirect(r.name) ? state.client.directHistory(peerOf(r.name), page) : state.client.history(r.name, page);
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
