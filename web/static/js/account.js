// account.js: who we are: a guest's name (checked as it is typed), the
// login session, logging in and out, registering.

import {
  GUEST_KEY,
  NAME_KEY,
  NAME_RE,
  canOpen,
  directRooms,
  isDirect,
  loggedIn,
  members,
  roomInfo,
  rooms,
  state,
  storageGet,
  storageSet,
  ui,
} from './state.js';
import { openRoom, refreshRooms } from './rooms.js';
import { renderMembers } from './people.js';
import { loadReadPositions } from './read.js';

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

export function initName() {
  const saved = (storageGet(NAME_KEY) || '').trim();
  ui.name.value = saved || randomGuestName();
  if (!saved) storageSet(NAME_KEY, ui.name.value);
  state.guestChosen = storageGet(GUEST_KEY) === '1';
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
    state.guestChosen = true;
    storageSet(GUEST_KEY, '1');
    // At once: a named guest's WebSocket posts as the name it opened
    // with. If the server refuses the name, the check takes it back.
    state.client.setName(streamName());
    renderMembers();
    checkGuestName(v).then((err) => {
      if (v !== currentName() || loggedIn()) return; // changed meanwhile
      ui.accountError.textContent = err ? err.message : '';
      state.client.setName(streamName());
      renderMembers();
    });
  });
}

// postingAsGuest follows a visitor who sends a line without having chosen
// a name or logged in: posting is choosing to be a guest, under the name
// in the header, so they are listed among the people online, as anyone
// who can post must be.
export function postingAsGuest() {
  if (loggedIn() || state.guestChosen) return;
  state.guestChosen = true;
  storageSet(GUEST_KEY, '1');
  state.authOpen = false;
  renderAccount();
  state.client.setName(streamName());
  renderMembers();
}

// checkGuestName asks the server whether a guest may go by name (not a
// registered user's): a stream with a name it refuses is refused whole.
// Resolves with the server's error, or null.
export function checkGuestName(name) {
  if (!state.accounts || !NAME_RE.test(name)) return Promise.resolve(null);
  return state.client.session(name).then(
    () => {
      if (state.nameRefused === name) state.nameRefused = null;
      return null;
    },
    (err) => {
      if (err.status !== 409 && err.status !== 400) return null; // no verdict
      state.nameRefused = name;
      return err;
    },
  );
}

// currentName is the guest's display name.
export function currentName() {
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
export function myName() {
  return loggedIn() ? state.me.name : currentName();
}

// streamName is the name the stream is present as: a guest's, once they
// chose to be one. Logged-in streams are present as their user; a
// visitor who has not chosen is not present at all.
export function streamName() {
  if (loggedIn() || !state.guestChosen) return null;
  const v = currentName();
  return NAME_RE.test(v) && v !== state.nameRefused ? v : null;
}

// loadSession asks the server who we are. Resolves with true when it
// answered. A 401 means a session cookie the server no longer takes (it
// ended elsewhere, say by a password change): ask the server to clear
// it, since scripts cannot (it is HttpOnly), and ask again.
export function loadSession(retried) {
  return state.client.session().then(
    (d) => {
      state.accounts = true;
      state.sessionKnown = true;
      if (d && Number.isInteger(d.max_text) && d.max_text > 0) state.maxText = d.max_text;
      if (d && d.kind === 'user' && typeof d.name === 'string' && d.name) {
        state.me = { name: d.name, kind: 'user', admin: !!d.admin };
      } else {
        state.me = { name: '', kind: 'anonymous', admin: false };
      }
      return true;
    },
    (err) => {
      if (err.status === 401 && !retried) {
        return state.client.logout().catch(() => {}).then(() => loadSession(true));
      }
      if (err.status === 401) {
        // The server still refuses the cookie: say so (only clearing the
        // browser's cookies for this site helps then).
        state.accounts = true;
        state.sessionKnown = true;
        state.me = { name: '', kind: 'anonymous', admin: false };
        ui.accountError.textContent = err.message;
        return true;
      }
      // 404: a server without accounts; the page is guests-only. No
      // answer: try again once the stream is live.
      if (err.status === 404) {
        state.accounts = false;
        state.sessionKnown = true;
      }
      return false;
    },
  );
}

export function renderAccount() {
  const user = loggedIn();
  ui.guestWho.hidden = user;
  ui.userWho.hidden = !user;
  ui.me.textContent = user ? state.me.name : '';
  ui.loginOpen.hidden = user || !state.accounts;
  const open = !user && state.accounts && state.authOpen;
  ui.authPanel.hidden = !open;
  ui.loginOpen.setAttribute('aria-expanded', String(open));
  // While the panel is open its guest form holds the name.
  ui.guestWho.classList.toggle('choosing', open);
  if (open) ui.guestName.value = currentName();
  ui.newRoomPrivateRow.hidden = !user;
  if (!user) ui.newRoomPrivate.checked = false;
  document.body.classList.toggle('logged-in', user);
}

export function setAuthMode(mode) {
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

export async function submitLogin(ev) {
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
    if (registering) await state.client.register(name, password);
    stage = 'login';
    const d = await state.client.login(name, password);
    const u = (d && d.user) || {};
    ui.loginPassword.value = '';
    state.me = { name: typeof u.name === 'string' && u.name ? u.name : name, kind: 'user', admin: !!u.admin };
    state.authOpen = false;
    setAuthMode('login');
    storageSet(GUEST_KEY, null);
    state.guestChosen = false;
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

export async function logout() {
  ui.accountError.textContent = '';
  ui.logout.disabled = true;
  try {
    await state.client.logout();
  } catch (err) {
    // 401: the session had ended already; we are logged out either way.
    if (err.status !== 401) {
      ui.accountError.textContent = 'Could not log out: ' + err.message;
      ui.logout.disabled = false;
      return;
    }
  }
  ui.logout.disabled = false;
  state.me = { name: '', kind: 'anonymous', admin: false };
  state.guestChosen = false;
  state.authOpen = true;
  setAuthMode('login');
  await identityChanged();
  ui.loginName.focus();
}

export async function continueAsGuest(ev) {
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
  state.guestChosen = true;
  state.authOpen = false;
  ui.accountError.textContent = '';
  renderAccount();
  state.client.setName(streamName());
  renderMembers();
  ui.input.focus();
}

// identityChanged follows a log-in or log-out: the readable rooms and
// conversations change, and the stream must reopen under the new
// identity (the server reads the cookie when a stream opens).
export async function identityChanged() {
  ui.accountError.textContent = '';
  const wasHidden = new Set();
  roomInfo.forEach((info, name) => { if (info.visibility !== 'public') wasHidden.add(name); });
  directRooms.forEach((name) => wasHidden.add(name));
  await refreshRooms();
  // Forget what we may no longer read.
  wasHidden.forEach((name) => {
    if (state.knownRooms.indexOf(name) >= 0 && (!isDirect(name) || canOpen(name))) return;
    rooms.delete(name);
    members.delete(name);
    directRooms.delete(name);
    state.subscribed = state.subscribed.filter((n) => n !== name);
  });
  if (!canOpen(state.current)) state.current = 'lobby';
  if (!isDirect(state.current) && state.subscribed.indexOf(state.current) < 0) state.subscribed.push(state.current);
  if (!state.subscribed.length) state.subscribed.push('lobby');
  state.client.reconnect({ rooms: state.subscribed.slice().sort(), name: streamName() });
  renderAccount(); // shown with the stream already reopening as who we are now
  await loadReadPositions();
  openRoom(state.current);
}
