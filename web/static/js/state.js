// state.js: what the page's modules share: constants, the page's elements
// (ui), the shared mutable state, per-room state, the browser's storage,
// and what room names mean.

import { parseTime } from './dom.js';

export const NAME_KEY = 'parley.name';
export const GUEST_KEY = 'parley.guest'; // '1': the visitor chose to go on as a guest
export const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const DIRECT_RE = /^@[^,]+,[^,]+$/; // a conversation: '@' and two user names
export const NAME_RE = /^[\p{L}\p{Nd}._-]{1,32}$/u; // as the server's ValidateName
export const MAX_MESSAGES = 500; // per room, kept in memory and in the DOM
export const MAX_SUBSCRIBED = 32; // the server's limit of rooms per stream
export const HISTORY_LIMIT = 50;
export const KINDS = ['message', 'join', 'leave', 'notice'];
// Entries that change an earlier line (its ref) rather than add one.
export const CHANGES = ['delete', 'edit', 'react', 'unreact'];
export const SEARCH_LIMIT = 20; // results per page
export const CONTEXT_LIMIT = 25; // messages loaded on each side of a search hit

const $ = (id) => document.getElementById(id);
export const ui = {
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
  roomTopic: $('room-topic'),
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
  typing: $('typing'),
  notifyToggle: $('notify-toggle'),
  composeBar: $('compose-bar'),
  composeNote: $('compose-note'),
  composeError: $('compose-error'),
  composeCancel: $('compose-cancel'),
};

// state is what the modules share and change: one object, since a module
// cannot assign to another's bindings.
export const state = {
  client: null, // the Parley.Client
  current: 'lobby', // the open room or conversation
  knownRooms: [], // names from GET /api/rooms
  subscribed: [], // rooms on the stream, least recently opened first
  roomsFetchedAt: 0,
  // Who we are. accounts: the server has the people API (GET
  // /api/session answered), so logging in is offered.
  me: { name: '', kind: 'anonymous', admin: false },
  accounts: false,
  sessionKnown: false,
  guestChosen: false, // "Continue as guest", or a name typed in
  nameRefused: null, // a guest name the server will not take
  authOpen: false, // the log-in panel is shown
  maxText: 0, // the server's message length limit, in characters; 0 until known
  compose: null, // replying to or editing a line: see lines.js
};

export const roomInfo = new Map(); // name -> {visibility, topic}, from GET /api/rooms
export const directRooms = new Set(); // conversations seen: listed, opened or on the stream
export const rooms = new Map(); // name -> room state, see roomState()

// Presence: room -> Map(name -> {name, guest}); guest is null while
// unknown (a join notice does not say).
export const members = new Map();
export const guestFlags = new Map(); // name -> guest, learned from member lists

export function roomState(name) {
  let r = rooms.get(name);
  if (!r) {
    r = {
      name,
      msgs: [], // confirmed messages, ascending id
      ids: new Set(),
      history: 'none', // 'none' | 'loading' | 'done'
      unread: 0,
      mentions: 0, // unread lines that mention us
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

// Read positions: the ID of the last line shown in each room, kept in
// this browser, so that unread counts start from where the person stopped
// reading, never from history. Rooms with no position yet count only what
// arrives after the page opened.
const SEEN_KEY = 'parley.seen';
const MAX_SEEN_ROOMS = 200;
const pageOpened = Date.now();
let seen = null; // room -> id, loaded on first use

function seenPositions() {
  if (seen === null) {
    seen = new Map();
    try {
      const saved = JSON.parse(storageGet(SEEN_KEY) || '{}');
      for (const [room, id] of Object.entries(saved)) {
        if (Number.isInteger(id)) seen.set(room, id);
      }
    } catch (err) {
      /* a damaged entry: start afresh */
    }
  }
  return seen;
}

// markSeen records that the person has seen room up to id.
export function markSeen(room, id) {
  const s = seenPositions();
  if (!Number.isInteger(id) || (s.get(room) || 0) >= id) return;
  s.delete(room); // most recent last, so the oldest are dropped first
  s.set(room, id);
  while (s.size > MAX_SEEN_ROOMS) s.delete(s.keys().next().value);
  storageSet(SEEN_KEY, JSON.stringify(Object.fromEntries(s)));
}

// seenAt returns the person's read position in room, 0 when there is none.
export function seenAt(room) {
  return seenPositions().get(room) || 0;
}

// unseen reports whether message m is past the person's read position in
// its room.
export function unseen(m) {
  const at = seenPositions().get(m.room);
  if (at !== undefined) return m.id > at;
  const t = parseTime(m.time);
  return t !== null && t.getTime() > pageOpened;
}

export function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch (err) {
    return null; // storage disabled (privacy mode): just don't remember
  }
}

export function storageSet(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch (err) {
    /* see storageGet */
  }
}

export function loggedIn() {
  return state.me.kind === 'user' && !!state.me.name;
}

export function isDirect(room) {
  return room.charAt(0) === '@';
}

// peerOf names the other person of a conversation.
export function peerOf(room) {
  const two = room.slice(1).split(',');
  return two[0] === state.me.name ? two[1] : two[0];
}

export function canOpen(room) {
  if (isDirect(room)) return loggedIn() && DIRECT_RE.test(room) && room.slice(1).split(',').indexOf(state.me.name) >= 0;
  return state.knownRooms.indexOf(room) >= 0;
}

export function roomLabel(room) {
  return isDirect(room) ? '@' + peerOf(room) : '#' + room;
}
