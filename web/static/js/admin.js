// admin.js: the admin console (/admin). It uses the public REST API only
// (/api/admin/..., /api/rooms/..., /api/publish), with the login cookie,
// so it can do nothing the API would not let this account do. Every text
// from the server reaches the page as text (textContent), never as HTML.
//
// Stable hooks for tests (web/admin_test.go):
//   #admin-me #admin-status[data-error] #admin-denied #admin-main
//   #fig-conns #fig-rate #rooms-body > tr[data-room] > td.visibility, td.online,
//     button.make-private|make-public|notices-off|notices-on|set-retention|delete-room, input.retention
//   #room-form #room-name #room-private
//   #user-search #user-q #user-search-go #users-body > tr[data-user] > td.admin, td.state,
//     button.toggle-admin|toggle-disabled|reset-password|show-sessions|end-sessions
//   #user-secret #sessions-panel #sessions > li[data-session] > button.end-session
//   #mod-form #mod-room #mod-show #mod-messages > li[data-id] > .from, .text, button.delete-message
//   #kick-form #kick-user #kick-room
//   #key-form #key-label #new-key #keys > li[data-key] > button.revoke-key
//   #publish-form #publish-rooms input[name=room][value] #publish-text

import { api } from './http.js';

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 5000;

function say(text, isError) {
  const s = $('admin-status');
  s.textContent = text;
  if (isError) s.dataset.error = 'true';
  else delete s.dataset.error;
}

// act runs an action, says how it went and refreshes what it changed.
async function act(what, fn, then) {
  try {
    const out = await fn();
    say(what + ': done.', false);
    if (then) await then(out);
    return out;
  } catch (err) {
    say(what + ': ' + err.message, true);
    return undefined;
  }
}

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  e.append(...children.filter((c) => c != null));
  return e;
}

function button(cls, label, onClick) {
  const b = el('button', { type: 'button', className: cls, textContent: label });
  b.addEventListener('click', onClick);
  return b;
}

function td(cls, ...children) {
  return el('td', { className: cls || '' }, ...children);
}

// ---- figures and rooms ------------------------------------------------

let rooms = []; // the last GET /api/admin/stats rooms

async function loadStats() {
  let st;
  try {
    st = await api('GET', '/api/admin/stats');
  } catch (err) {
    say('Could not read the figures: ' + err.message, true);
    return;
  }
  const conns = st.connections || {};
  $('fig-conns').textContent = 'Connections: ' + ['sse', 'ws', 'poll', 'irc']
    .map((t) => t + ' ' + (conns[t] || 0)).join(', ');
  $('fig-rate').textContent = (st.messages_per_second || 0).toFixed(2) + ' messages/s';
  rooms = st.rooms || [];
  renderRooms();
  renderRoomChoices();
}

async function retentionOf(room) {
  try {
    const r = await api('GET', '/api/rooms/' + encodeURIComponent(room) + '/retention');
    return r && r.days ? String(r.days) : '';
  } catch (err) {
    return '';
  }
}

function renderRooms() {
  const body = $('rooms-body');
  const typing = document.activeElement && document.activeElement.tagName === 'INPUT' && body.contains(document.activeElement);
  if (typing) return; // do not pull the table from under someone typing
  body.replaceChildren(...rooms.map((r) => {
    const path = '/api/rooms/' + encodeURIComponent(r.name);
    const tr = el('tr');
    tr.dataset.room = r.name;
    const priv = r.visibility === 'private';
    const days = el('input', { className: 'retention', type: 'number', min: '0', size: 4 });
    days.setAttribute('aria-label', 'Retention days for ' + r.name);
    retentionOf(r.name).then((v) => { if (document.activeElement !== days) days.value = v; });
    const actions = [
      priv
        ? button('make-public', 'Make public', () => act('Make ' + r.name + ' public', () => api('PUT', path + '/visibility', { visibility: 'public' }), loadStats))
        : button('make-private', 'Make private', () => act('Make ' + r.name + ' private', () => api('PUT', path + '/visibility', { visibility: 'private' }), loadStats)),
      button('notices-off', 'Notices off', () => act('Join/leave notices off in ' + r.name, () => api('PUT', path + '/notices', { notices: false }))),
      button('notices-on', 'Notices on', () => act('Join/leave notices on in ' + r.name, () => api('PUT', path + '/notices', { notices: true }))),
      button('set-retention', 'Set retention', () => {
        const n = parseInt(days.value || '0', 10);
        act('Retention of ' + r.name, () => api('PUT', path + '/retention', n > 0 ? { days: n } : {}));
      }),
    ];
    if (r.name !== 'lobby') {
      actions.push(button('delete-room', 'Delete', () => {
        if (!window.confirm('Delete ' + r.name + ' and all its messages?')) return;
        act('Delete ' + r.name, () => api('DELETE', path), loadStats);
      }));
    }
    tr.append(
      td('name', r.name),
      td('visibility', r.visibility),
      td('online', String(r.online || 0)),
      td('members', priv ? String(r.members || 0) : ''),
      td('retention-cell', days),
      td('actions', ...actions),
    );
    return tr;
  }));
}

// renderRoomChoices fills the room pickers of moderation and publishing.
function renderRoomChoices() {
  for (const id of ['mod-room', 'kick-room']) {
    const sel = $(id);
    const was = sel.value;
    sel.replaceChildren(...rooms.map((r) => el('option', { value: r.name, textContent: r.name })));
    if (rooms.some((r) => r.name === was)) sel.value = was;
  }
  const box = $('publish-rooms');
  const checked = new Set(Array.from(box.querySelectorAll('input:checked')).map((i) => i.value));
  box.replaceChildren(el('legend', { textContent: 'To' }), ...rooms.map((r) => {
    const cb = el('input', { type: 'checkbox', name: 'room', value: r.name, checked: checked.has(r.name) });
    return el('label', { className: 'room-choice' }, cb, ' ' + r.name);
  }));
}

// ---- people -------------------------------------------------------------

async function loadUsers() {
  const q = $('user-q').value.trim();
  let page;
  try {
    page = await api('GET', '/api/admin/users?limit=200&q=' + encodeURIComponent(q));
  } catch (err) {
    say('Could not list accounts: ' + err.message, true);
    return;
  }
  $('users-body').replaceChildren(...(page.users || []).map((u) => {
    const path = '/api/admin/users/' + encodeURIComponent(u.name);
    const tr = el('tr');
    tr.dataset.user = u.name;
    tr.append(
      td('name', u.name),
      td('admin', u.admin ? 'admin' : ''),
      td('state', u.disabled ? 'disabled' : 'active'),
      td('actions',
        button('toggle-admin', u.admin ? 'Revoke admin' : 'Make admin',
          () => act((u.admin ? 'Revoke admin from ' : 'Make admin: ') + u.name, () => api('PATCH', path, { admin: !u.admin }), loadUsers)),
        button('toggle-disabled', u.disabled ? 'Enable' : 'Disable',
          () => act((u.disabled ? 'Enable ' : 'Disable ') + u.name, () => api('PATCH', path, { disabled: !u.disabled }), loadUsers)),
        button('reset-password', 'Reset password', () => resetPassword(u.name)),
        button('show-sessions', 'Sessions', () => showSessions(u.name)),
        button('end-sessions', 'Log out everywhere',
          () => act('End the sessions of ' + u.name, () => api('DELETE', path + '/sessions'), () => showSessions(u.name))),
      ),
    );
    return tr;
  }));
}

async function resetPassword(name) {
  if (!window.confirm('Give ' + name + ' a new password? Their sessions end.')) return;
  const out = await act('Reset the password of ' + name,
    () => api('POST', '/api/admin/users/' + encodeURIComponent(name) + '/password', {}));
  if (!out || !out.password) return;
  const p = $('user-secret');
  p.textContent = 'New password for ' + name + ' (shown once): ' + out.password;
  p.hidden = false;
}

async function showSessions(name) {
  const path = '/api/admin/users/' + encodeURIComponent(name) + '/sessions';
  let out;
  try {
    out = await api('GET', path);
  } catch (err) {
    say('Could not list the sessions of ' + name + ': ' + err.message, true);
    return;
  }
  $('sessions-title').textContent = 'Login sessions of ' + name + ' (' + out.sessions.length + ')';
  $('sessions').replaceChildren(...out.sessions.map((s) => {
    const li = el('li', {},
      s.id + ' · since ' + new Date(s.created).toLocaleString() + ' · until ' + new Date(s.expires).toLocaleString() + ' ',
      button('end-session', 'End', () => act('End a session of ' + name, () => api('DELETE', path + '/' + encodeURIComponent(s.id)), () => showSessions(name))));
    li.dataset.session = s.id;
    return li;
  }));
  $('sessions-panel').hidden = false;
}

// ---- moderation ---------------------------------------------------------

async function loadMessages() {
  const room = $('mod-room').value;
  if (!room) return;
  let msgs;
  try {
    msgs = await api('GET', '/api/rooms/' + encodeURIComponent(room) + '/messages?limit=20');
  } catch (err) {
    say('Could not read ' + room + ': ' + err.message, true);
    return;
  }
  const list = Array.isArray(msgs) ? msgs : (msgs && msgs.messages) || [];
  $('mod-messages').replaceChildren(...list.filter((m) => m.kind !== 'delete').map((m) => {
    const li = el('li', {},
      el('span', { className: 'from', textContent: m.from || '' }), ': ',
      el('span', { className: 'text', textContent: m.text || '' }), ' ',
      button('delete-message', 'Delete', () => act('Delete message ' + m.id,
        () => api('DELETE', '/api/messages/' + m.id), loadMessages)));
    li.dataset.id = String(m.id);
    return li;
  }));
}

// ---- API keys -----------------------------------------------------------

async function loadKeys() {
  let out;
  try {
    out = await api('GET', '/api/admin/apikeys');
  } catch (err) {
    say('Could not list API keys: ' + err.message, true);
    return;
  }
  $('keys').replaceChildren(...(out.keys || []).map((k) => {
    const li = el('li', {}, k.id + (k.label ? ' · ' + k.label : '') + ' · ' + new Date(k.created).toLocaleDateString() + ' ',
      button('revoke-key', 'Revoke', () => {
        if (!window.confirm('Revoke the API key ' + k.id + '? Applications using it stop working.')) return;
        act('Revoke ' + k.id, () => api('DELETE', '/api/admin/apikeys/' + encodeURIComponent(k.id)), loadKeys);
      }));
    li.dataset.key = k.id;
    return li;
  }));
}

// ---- start --------------------------------------------------------------

function wire() {
  $('room-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = $('room-name').value.trim().toLowerCase();
    const body = { name };
    if ($('room-private').checked) body.visibility = 'private';
    act('Create ' + name, () => api('POST', '/api/rooms', body), () => {
      $('room-name').value = '';
      return loadStats();
    });
  });
  $('user-search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadUsers();
  });
  $('mod-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadMessages();
  });
  $('kick-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const user = $('kick-user').value.trim();
    const room = $('kick-room').value;
    act('Remove ' + user + ' from ' + room,
      () => api('DELETE', '/api/rooms/' + encodeURIComponent(room) + '/members/' + encodeURIComponent(user)),
      () => { $('kick-user').value = ''; });
  });
  $('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act('Create an API key', () => api('POST', '/api/admin/apikeys', { label: $('key-label').value.trim() }), (k) => {
      const p = $('new-key');
      p.textContent = 'New key (shown once, store it now): ' + k.key;
      p.hidden = false;
      $('key-label').value = '';
      return loadKeys();
    });
  });
  $('publish-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const to = Array.from($('publish-rooms').querySelectorAll('input:checked')).map((i) => i.value);
    const text = $('publish-text').value;
    if (!to.length) {
      say('Choose at least one room for the notice.', true);
      return;
    }
    act('Send the notice to ' + to.join(', '),
      () => api('POST', '/api/publish', { messages: [{ rooms: to, text, kind: 'notice' }] }),
      () => { $('publish-text').value = ''; });
  });
}

async function start() {
  let me;
  try {
    me = await api('GET', '/api/session');
  } catch (err) {
    me = null;
  }
  if (!me || me.kind !== 'user' || !me.admin) {
    const d = $('admin-denied');
    d.textContent = 'This console is for admin accounts only. '
      + (me && me.kind === 'user' ? me.name + ' is not an admin.' : 'Log in with an admin account on the chat page first.');
    d.hidden = false;
    $('admin-me').textContent = me && me.name ? me.name : 'nobody';
    return;
  }
  $('admin-me').textContent = me.name;
  $('admin-main').hidden = false;
  wire();
  await Promise.all([loadStats(), loadUsers(), loadKeys()]);
  setInterval(loadStats, REFRESH_MS);
}

start();
