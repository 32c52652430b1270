// read.js: read positions. A guest's live in this browser (state.js,
// markSeen); a logged-in user's are also kept on the server, so that
// unread and mention counts are the same on every device and after a
// reconnect, and a "New messages" line marks where they stopped reading.

import { loggedIn, markSeen, roomState, seenAt, state, ui } from './state.js';
import { renderRooms } from './rooms.js';
import { myName } from './account.js';
import { parseTime } from './dom.js';

const REPORT_DELAY = 700; // ms: a burst of lines read is one PUT
const sent = new Map(); // room -> the position last sent to the server
const timers = new Map();

const RELOAD_EVERY = 10000; // ms: coming back to the tab reads them at most this often
let loadedAt = 0;

// reloadReadPositions is loadReadPositions unless that ran lately.
export function reloadReadPositions() {
  if (Date.now() - loadedAt >= RELOAD_EVERY) loadReadPositions();
}

// loadReadPositions takes the server's positions and counts (logged-in
// users). Positions only move forward, here as on the server.
export async function loadReadPositions() {
  if (!loggedIn()) return;
  loadedAt = Date.now();
  let d;
  try {
    d = await state.client.readPositions();
  } catch (err) {
    return; // the counts of this page stand; retried on the next reconnect
  }
  const max = d && d.max_count;
  Object.entries((d && d.rooms) || {}).forEach(([room, p]) => {
    if (!p || !Number.isInteger(p.read)) return;
    markSeen(room, p.read);
    sent.set(room, Math.max(sent.get(room) || 0, p.read));
    if (room === state.current) return;
    const r = roomState(room);
    r.unread = Number.isInteger(p.unread) ? p.unread : 0;
    r.mentions = Number.isInteger(p.mentions) ? p.mentions : 0;
    r.capped = max > 0 && r.unread >= max;
  });
  renderRooms();
}

// seen records that the person has seen room up to id: in this browser,
// and (soon, once for a burst) on the server.
export function seen(room, id) {
  markSeen(room, id);
  if (!loggedIn() || id <= (sent.get(room) || 0)) return;
  sent.set(room, id);
  clearTimeout(timers.get(room));
  timers.set(room, setTimeout(() => {
    timers.delete(room);
    state.client.markRead(room, sent.get(room)).catch(() => {});
  }, REPORT_DELAY));
}

// openedAt remembers, as a room opens, where its reader had stopped.
// The lines after that which were written before the room opened (held
// already, loaded as history, or replayed as the stream resumes) were
// new to them; lines arriving while they look are not.
export function openedAt(r) {
  r.readAt = seenAt(r.name);
  r.openedMs = Date.now();
  r.newTop = r.msgs.length ? r.msgs[r.msgs.length - 1].id : 0;
}

// heldBefore notes a line added to the open room: one loaded as history,
// or written before the room opened (by its time), may be new. It reports
// whether the line is past the read position, so that the "New messages"
// line may have to move; lines arriving while the reader looks never
// move it.
export function heldBefore(r, m, live) {
  if (live) {
    const t = parseTime(m.time);
    if (!t || t.getTime() >= r.openedMs) return false;
  }
  if (m.id > (r.newTop || 0)) r.newTop = m.id;
  return m.id > (r.readAt || 0);
}

// placeDivider puts the "New messages" line before the first line of
// someone else that was new when the room was opened.
export function placeDivider(r) {
  const old = ui.messages.querySelector('li.new-divider');
  if (old) old.remove();
  if (!r.readAt || r.detached) return;
  const me = myName();
  const first = r.msgs.find((m) => m.id > r.readAt && m.id <= r.newTop && m.kind === 'message' && m.from !== me);
  if (!first) return;
  const el = ui.messages.querySelector('li.msg[data-id="' + first.id + '"]');
  if (!el) return;
  const li = document.createElement('li');
  li.className = 'new-divider';
  li.setAttribute('role', 'separator');
  li.textContent = 'New messages';
  el.before(li);
}
