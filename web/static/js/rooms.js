// rooms.js: the room and conversation lists, opening and creating rooms,
// and which rooms the stream follows.

import {
  DIRECT_RE,
  MAX_SUBSCRIBED,
  ROOM_RE,
  canOpen,
  directRooms,
  isDirect,
  loggedIn,
  members,
  peerOf,
  roomInfo,
  roomState,
  rooms,
  state,
  ui,
} from './state.js';
import { keyed, span } from './dom.js';
import { loadInvitations, renderRoomTools } from './roomtools.js';
import { currentName } from './account.js';
import { loadHistory, renderCurrentRoom, resetWindow } from './messages.js';
import { loadMembers, membersFresh, showMembersPanel } from './people.js';
import { renderTyping } from './typing.js';
import { cancelCompose } from './lines.js';
import { openedAt } from './read.js';

// badge: a visible mark ('private'), said by ariaLabel already.
function roomItem(name, label, ariaLabel, o) {
  const r = roomState(name);
  const unread = name !== state.current ? r.unread : 0;
  const mentioned = name !== state.current ? r.mentions : 0;
  const isCurrent = name === state.current;
  return {
    key: name,
    sig: JSON.stringify([label, ariaLabel, o, unread, mentioned, isCurrent]),
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
      if (mentioned > 0) {
        const count = span('mention-count', '@' + mentioned);
        count.setAttribute('aria-hidden', 'true');
        parts.push(count);
        aria += ', ' + mentioned + (mentioned === 1 ? ' mention' : ' mentions');
      }
      b.replaceChildren(...parts);
      if (aria !== label) b.setAttribute('aria-label', aria);
      else b.removeAttribute('aria-label');
      if (isCurrent) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    },
  };
}

export function renderRooms() {
  const names = state.knownRooms.filter((n) => !isDirect(n));
  state.subscribed.concat(isDirect(state.current) ? [] : [state.current]).forEach((n) => {
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
  if (loggedIn() && isDirect(state.current) && dms.indexOf(state.current) < 0) dms.push(state.current);
  dms.sort((a, b) => peerOf(a).localeCompare(peerOf(b)));
  keyed(ui.dms, dms.map((name) => {
    const peer = peerOf(name);
    return roomItem(name, '@' + peer, 'Direct messages with ' + peer, { visibility: 'direct', dm: true, user: peer });
  }));
  ui.dmSection.hidden = !loggedIn();
  ui.dmsEmpty.hidden = dms.length > 0;
}

export function refreshRooms() {
  state.roomsFetchedAt = Date.now();
  return state.client.listRooms().then(
    (list) => {
      const named = list.filter((r) => r && typeof r.name === 'string');
      state.knownRooms = named.map((r) => r.name);
      roomInfo.clear();
      named.forEach((r) => {
        const visibility = r.visibility || (isDirect(r.name) ? 'direct' : 'public');
        roomInfo.set(r.name, { visibility, topic: r.topic || '', owner: r.owner || '', notices: r.notices !== false });
        if (visibility === 'direct' || isDirect(r.name)) directRooms.add(r.name);
      });
      renderRooms();
      renderRoomBadge();
      loadInvitations();
      return state.knownRooms;
    },
    () => state.knownRooms, // keep the last list; the status shows the outage
  );
}

// renderRoomBadge marks the open room as private or a conversation.
export function renderRoomBadge() {
  const info = roomInfo.get(state.current);
  let text = '';
  if (isDirect(state.current)) text = 'direct message';
  else if (info && info.visibility === 'private') text = 'private';
  ui.roomBadge.textContent = text;
  ui.roomBadge.hidden = !text;
  renderRoomTools();
}

// subscribe adds room to the stream. The server takes at most 32 rooms,
// so the least recently opened one is dropped, with its messages: they
// would have a gap by the time it is reopened. Conversations are on
// every logged-in stream without asking.
function subscribe(name) {
  if (isDirect(name)) return;
  const i = state.subscribed.indexOf(name);
  if (i >= 0) {
    state.subscribed.splice(i, 1);
    state.subscribed.push(name);
    return; // reordering only: no need to reconnect
  }
  state.subscribed.push(name);
  while (state.subscribed.length > MAX_SUBSCRIBED) {
    const gone = state.subscribed.shift();
    const old = rooms.get(gone);
    if (old) {
      resetWindow(old);
      old.unread = 0;
      old.mentions = 0;
    }
    members.delete(gone);
    membersFresh.delete(gone);
  }
  state.client.setRooms(state.subscribed.slice().sort());
}

// roomFromHash reads "#room" (or "#@a,b", a conversation) from the
// address, or null.
export function roomFromHash() {
  let want = '';
  try {
    want = decodeURIComponent(location.hash.slice(1));
  } catch (err) {
    return null; // malformed escape
  }
  return ROOM_RE.test(want) || DIRECT_RE.test(want) ? want : null;
}

export function openRoom(name) {
  if (state.compose && state.compose.room !== name) cancelCompose();
  state.current = name;
  if (isDirect(name)) directRooms.add(name);
  const r = roomState(name);
  openedAt(r);
  r.unread = 0;
  r.mentions = 0;
  if (roomFromHash() !== name) history.replaceState(null, '', '#' + name);
  subscribe(name);
  renderRooms();
  const b = document.querySelector('.sidebar [aria-current="true"]');
  if (b && b.scrollIntoView) b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  renderCurrentRoom();
  renderTyping();
  loadHistory(r);
  if (state.client.state === 'live' && !membersFresh.has(name)) loadMembers(name);
}

// openDirect opens the conversation with user (a registered user, not
// ourselves); it exists on the server once the first line is sent.
export function openDirect(user) {
  if (!loggedIn() || !user || user === state.me.name) return;
  showMembersPanel(false);
  openRoom(Parley.directRoom(state.me.name, user));
  ui.input.focus();
}

export function createRoom(ev) {
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
  state.client.createRoom(name, opts).then(
    (room) => {
      roomInfo.set(name, { visibility: (room && room.visibility) || (priv ? 'private' : 'public'), topic: '', owner: loggedIn() ? state.me.name : '', notices: true });
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
    if (state.knownRooms.indexOf(name) < 0) state.knownRooms.push(name);
    openRoom(name);
    refreshRooms();
  });
}
