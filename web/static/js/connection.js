// connection.js: the stream's state as the page shows it, and what the
// page does when the stream is refused (a room lost, a session ended).

import { canOpen, isDirect, loggedIn, members, roomState, rooms, state, ui } from './state.js';
import { identityChanged, loadSession, renderAccount } from './account.js';
import { loadHistory } from './messages.js';
import { openRoom, refreshRooms } from './rooms.js';
import { loadMembers, membersFresh } from './people.js';
import { wakeSender } from './outbox.js';

// ---- connection status ------------------------------------------------

const TRANSPORT_LABELS = { ws: 'websocket', sse: 'event stream', poll: 'long-polling' };

export function showState(s) {
  ui.status.textContent = s;
  ui.conn.dataset.state = s;
  // The transport is shown only while live: while connecting, auto mode
  // may still be trying one after another.
  const t = s === 'live' ? state.client.transportName : '';
  ui.transport.dataset.transport = t;
  ui.transport.textContent = TRANSPORT_LABELS[t] || t;
  ui.transport.hidden = !t;
  if (s !== 'live') membersFresh.clear(); // the next connection gets new lists
  if (s === 'live') {
    loadMembers(state.current);
    // Retry at once what failed while we were offline.
    loadHistory(roomState(state.current));
    if (!state.knownRooms.length) refreshRooms();
    wakeSender();
    if (!state.sessionKnown) {
      loadSession().then((ok) => {
        if (!ok) return;
        state.authOpen = !loggedIn() && !state.guestChosen;
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
export function onStreamError(err) {
  if (!err) return;
  if (state.client.name && (err.code === 'conflict' || err.code === 'invalid')) {
    ui.accountError.textContent = 'Not shown as present: ' + err.message;
    state.client.setName(null);
  } else if (err.status === 401 && loggedIn()) {
    sessionEnded();
  } else if (err.status === 403 || err.status === 404 || err.status === 0) {
    // Browsers hide why an event stream or WebSocket was refused
    // (status 0), so any failure may be a room we lost.
    pruneRooms();
  }
}

// roomsChanged follows a room list signal: a room was created, deleted or
// made private or public. Read the list again; a room we follow that is
// gone from it is dropped from the stream (pruneRooms).
let listTimer = null;
let mayLose = false; // a room we follow was deleted or made private
export function roomsChanged(s) {
  if (s.text !== 'created' && state.subscribed.indexOf(s.room) >= 0) mayLose = true;
  if (listTimer) return; // a burst of changes: one read
  listTimer = setTimeout(() => {
    listTimer = null;
    if (mayLose) {
      mayLose = false;
      prunedAt = 0;
      pruneRooms();
    } else {
      refreshRooms();
    }
  }, 100);
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
    const gone = state.subscribed.filter((n) => !isDirect(n) && state.knownRooms.indexOf(n) < 0);
    if (!gone.length) return; // refused for another reason: keep retrying
    gone.forEach((n) => {
      rooms.delete(n);
      members.delete(n);
      membersFresh.delete(n);
    });
    state.subscribed = state.subscribed.filter((n) => gone.indexOf(n) < 0);
    if (!canOpen(state.current)) state.current = 'lobby';
    if (!isDirect(state.current) && state.subscribed.indexOf(state.current) < 0) state.subscribed.push(state.current);
    if (!state.subscribed.length) state.subscribed.push('lobby');
    state.client.setRooms(state.subscribed.slice().sort());
    openRoom(state.current);
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
    state.authOpen = true;
    identityChanged();
  });
}
