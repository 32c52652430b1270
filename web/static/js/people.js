// people.js: who is online in each room, kept current by the member lists
// and join/leave notices on the stream; the member panel.

import { guestFlags, isDirect, loggedIn, members, peerOf, state, ui } from './state.js';
import { keyed, span } from './dom.js';
import { streamName } from './account.js';

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
export const membersFresh = new Set(); // rooms with a list from this connection
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
export function onMembers(e) {
  setMembers(e.room, e.members);
  const loading = membersLoading.get(e.room);
  if (loading) loading.replaced = true;
  if (e.room === state.current) renderMembers();
}

// loadMembers asks the server who is in room now. The answer may be
// older or newer than a notice that arrives meanwhile, so the notices
// received since the request are applied again on top of it, in order:
// each says where its person is, as of when it was committed, which is
// at least as recent as what the answer says of them.
export function loadMembers(room, again) {
  if (isDirect(room) || membersLoading.has(room)) return;
  const loading = { notices: [], replaced: false };
  membersLoading.set(room, loading);
  state.client.listMembers(room).then((list) => {
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
    if (room === state.current) renderMembers();
    // Someone who joined as the answer was on its way: ask once more
    // whether they are a guest.
    if (unknown && (again || 0) < 2) loadMembers(room, (again || 0) + 1);
  }, () => membersLoading.delete(room)); // keep what the notices say
}

// presenceFrom follows join and leave notices from the stream (not from
// history: those are past). Their from is the person.
export function presenceFrom(m) {
  if (!m || (m.kind !== 'join' && m.kind !== 'leave') || typeof m.room !== 'string' || !m.from) return;
  const loading = membersLoading.get(m.room);
  if (loading) loading.notices.push(m);
  applyNotice(m);
  if (m.room === state.current) renderMembers();
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
  if (loggedIn()) return p.name === state.me.name && p.guest !== true;
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

export function renderMembers() {
  const list = members.get(state.current);
  const people = list ? Array.from(list.values()) : [];
  people.sort((a, b) => a.name.localeCompare(b.name));
  keyed(ui.members, people.map(memberItem));
  ui.membersEmpty.textContent = isDirect(state.current) && loggedIn()
    ? 'Only you and ' + peerOf(state.current) + ' can read this conversation.'
    : 'No one is here right now.';
  ui.membersEmpty.hidden = people.length > 0;
  ui.membersCount.textContent = String(people.length);
  ui.membersToggleCount.textContent = String(people.length);
  ui.membersToggle.setAttribute('aria-label', 'Members online: ' + people.length);
}

// On narrow screens the member list is a panel over the chat.
export function showMembersPanel(open) {
  ui.membersPanel.classList.toggle('open', open);
  ui.membersToggle.setAttribute('aria-expanded', String(open));
  if (open) {
    const first = ui.members.querySelector('button') || ui.membersClose;
    if (first) first.focus();
  }
}
