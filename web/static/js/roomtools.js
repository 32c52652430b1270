// roomtools.js: what a logged-in person does with private rooms from the
// page: the open room's topic, inviting someone (owners and admins),
// leaving, turning join/leave notices on or off (owners and admins), and
// the invitations waiting for them, accepted with one click.

import { isDirect, loggedIn, roomInfo, rooms, state, ui } from './state.js';
import { el, span } from './dom.js';
import { openRoom, refreshRooms } from './rooms.js';
import { api } from './http.js';

const $ = (id) => document.getElementById(id);

function roomPath(room) {
  return '/api/rooms/' + encodeURIComponent(room);
}

function say(text) {
  $('room-tools-msg').textContent = text;
}

// manages reports whether we may manage room: its owner or a server admin.
function manages(info) {
  return loggedIn() && (state.me.admin || (info && info.owner && info.owner.toLowerCase() === state.me.name.toLowerCase()));
}

// renderRoomTools shows the open room's topic and the controls that apply.
export function renderRoomTools() {
  const room = state.current;
  const info = roomInfo.get(room);
  const topic = !isDirect(room) && info && info.topic ? info.topic : '';
  ui.roomTopic.textContent = topic;
  ui.roomTopic.hidden = !topic;
  const priv = info && info.visibility === 'private';
  const manage = !isDirect(room) && manages(info);
  $('invite-form').hidden = !(priv && manage);
  $('leave-room').hidden = !(priv && loggedIn() && !(info.owner && info.owner.toLowerCase() === state.me.name.toLowerCase()));
  const notices = $('notices-toggle');
  notices.hidden = !manage;
  if (manage) notices.textContent = info.notices ? 'Join/leave notices: on' : 'Join/leave notices: off';
  $('room-tools').hidden = $('invite-form').hidden && $('leave-room').hidden && notices.hidden;
  say('');
}

async function invite(ev) {
  ev.preventDefault();
  const room = state.current;
  const user = $('invite-user').value.trim();
  if (!user) return;
  try {
    await api('POST', roomPath(room) + '/invites', { user });
    $('invite-user').value = '';
    say(user + ' is invited to #' + room + '.');
  } catch (err) {
    say('Could not invite ' + user + ': ' + err.message);
  }
}

async function leave() {
  const room = state.current;
  if (!window.confirm('Leave #' + room + '? You need a new invitation to come back.')) return;
  try {
    await api('DELETE', roomPath(room) + '/members/' + encodeURIComponent(state.me.name));
  } catch (err) {
    say('Could not leave: ' + err.message);
    return;
  }
  // Off the stream and out of the list: the room is no longer ours.
  state.subscribed = state.subscribed.filter((n) => n !== room);
  rooms.delete(room);
  await refreshRooms();
  openRoom('lobby');
  state.client.setRooms(state.subscribed.slice().sort());
}

async function toggleNotices() {
  const room = state.current;
  const info = roomInfo.get(room);
  if (!info) return;
  const on = !info.notices;
  try {
    await api('PUT', roomPath(room) + '/notices', { notices: on });
    info.notices = on;
    renderRoomTools();
    say('Join/leave notices are ' + (on ? 'on' : 'off') + ' in #' + room + '.');
  } catch (err) {
    say('Could not change the notices: ' + err.message);
  }
}

// loadInvitations lists the invitations waiting for us.
export async function loadInvitations() {
  const section = $('invites-section');
  if (!loggedIn()) {
    section.hidden = true;
    return;
  }
  let list = [];
  try {
    const data = await api('GET', '/api/invitations');
    list = (data && data.invitations) || [];
  } catch (err) {
    list = [];
  }
  $('invites').replaceChildren(...list.map((inv) => {
    const b = el('button', { type: 'button', className: 'accept-invite', textContent: 'Join' });
    b.dataset.room = inv.room;
    b.setAttribute('aria-label', 'Join #' + inv.room + ', invited by ' + inv.invited_by);
    const li = el('li', { className: 'invite' }, span('invite-room', '#' + inv.room), ' ', span('invite-by', 'from ' + inv.invited_by), ' ', b);
    li.dataset.room = inv.room;
    return li;
  }));
  section.hidden = list.length === 0;
}

async function accept(ev) {
  const b = ev.target.closest('button.accept-invite');
  if (!b) return;
  const room = b.dataset.room;
  b.disabled = true;
  try {
    await api('POST', roomPath(room) + '/join', {});
  } catch (err) {
    b.disabled = false;
    say('Could not join #' + room + ': ' + err.message);
    return;
  }
  await refreshRooms();
  await loadInvitations();
  openRoom(room);
}

export function initRoomTools() {
  $('invite-form').addEventListener('submit', invite);
  $('leave-room').addEventListener('click', leave);
  $('notices-toggle').addEventListener('click', toggleNotices);
  $('invites').addEventListener('click', accept);
}
