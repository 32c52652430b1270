/*
 * main.js: the Parley chat page, started here. Uses parley.js
 * (window.Parley), loaded before it. The page is ES modules by subject,
 * served as they are (no build step): state, dom, account, messages, rooms,
 * people, outbox, search, connection.
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
 *   #typing[data-names] ("ada is typing…", the names comma-separated)
 *   .text may hold code, pre > code, strong, em, a.link[rel], span.mention(.me);
 *   li.msg.mentions-me; room buttons' .mention-count ("@2"); #notify-toggle[aria-pressed]
 *   line parts: button.reply-quote[data-ref], .edited, .reactions > button.reaction[data-emoji][aria-pressed],
 *   .line-actions > button.(act-reply|act-react|act-edit|act-delete), .palette > button.pick[data-emoji]
 *   #compose-bar #compose-note #compose-error #compose-cancel; li.new-divider ("New messages")
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
import { HISTORY_LIMIT, canOpen, isDirect, loggedIn, state, ui } from './state.js';
import {
  checkGuestName,
  continueAsGuest,
  currentName,
  initName,
  loadSession,
  logout,
  renderAccount,
  setAuthMode,
  streamName,
  submitLogin,
} from './account.js';
import { addMessage, atBottom, jumpToLatest, scrollToBottom } from './messages.js';
import { createRoom, openDirect, openRoom, refreshRooms, roomFromHash } from './rooms.js';
import { onMembers, presenceFrom, showMembersPanel } from './people.js';
import { autosize, onInputKey, submitLine, updateCounter, wakeSender } from './outbox.js';
import { closeSearch, moreResults, onResultClick, submitSearch } from './search.js';
import { onStreamError, roomsChanged, showState } from './connection.js';
import { initRoomTools } from './roomtools.js';
import { onComposerInput, onTypingSignal, stoppedTyping } from './typing.js';
import { renderNotify, toggleNotify } from './notify.js';
import { cancelCompose, onLineClick } from './lines.js';
import { loadReadPositions, reloadReadPositions } from './read.js';

// ---- start ------------------------------------------------------------

// transportFromQuery reads ?transport=ws|sse|poll, for tests and
// debugging; anything else means 'auto'.
function transportFromQuery() {
  const t = new URLSearchParams(location.search).get('transport');
  return t && Object.prototype.hasOwnProperty.call(Parley.transports, t) ? t : 'auto';
}

async function start() {
  state.client = new Parley.Client({
    rooms: ['lobby'], last: HISTORY_LIMIT, transport: transportFromQuery(), watch: ['rooms', 'typing'],
  });
  initName();
  initRoomTools();
  renderNotify();
  ui.notifyToggle.addEventListener('click', toggleNotify);

  ui.composer.addEventListener('submit', submitLine);
  ui.input.addEventListener('keydown', onInputKey);
  ui.input.addEventListener('input', autosize);
  ui.input.addEventListener('input', updateCounter);
  ui.input.addEventListener('input', onComposerInput);
  ui.newRoomForm.addEventListener('submit', createRoom);
  ui.loginForm.addEventListener('submit', submitLogin);
  ui.authMode.addEventListener('click', () => {
    setAuthMode(ui.loginForm.dataset.mode === 'register' ? 'login' : 'register');
    ui.loginName.focus();
  });
  ui.guestForm.addEventListener('submit', continueAsGuest);
  ui.loginOpen.addEventListener('click', () => {
    state.authOpen = ui.authPanel.hidden;
    renderAccount();
    if (state.authOpen) ui.loginName.focus();
  });
  ui.logout.addEventListener('click', logout);
  const onRoomClick = (ev) => {
    const b = ev.target.closest('button.room');
    if (b && b.dataset.room !== state.current) openRoom(b.dataset.room);
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
  ui.messages.addEventListener('click', onLineClick);
  ui.composeCancel.addEventListener('click', () => {
    cancelCompose();
    ui.input.focus();
  });
  ui.jumpLatest.addEventListener('click', jumpToLatest);
  ui.searchForm.addEventListener('submit', submitSearch);
  ui.searchResults.addEventListener('click', onResultClick);
  ui.searchMore.addEventListener('click', moreResults);
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
    if (!want || want === state.current) return;
    if (canOpen(want)) openRoom(want);
    else refreshRooms().then(() => { if (canOpen(want)) openRoom(want); });
  });
  window.addEventListener('focus', () => {
    if (Date.now() - state.roomsFetchedAt > 10000) refreshRooms();
    reloadReadPositions(); // read on another device meanwhile
  });
  window.addEventListener('online', () => {
    wakeSender();
  });
  // Leaving the page ends presence at once (a long-poller's session
  // would otherwise linger for its lease); back from the cache, resume.
  window.addEventListener('pagehide', () => state.client.close());
  window.addEventListener('pageshow', (ev) => { if (ev.persisted) state.client.connect(); });

  // Who we are decides what the stream carries: learn it first.
  await loadSession();
  if (state.guestChosen && !loggedIn()) {
    const refused = await checkGuestName(currentName());
    if (refused) ui.accountError.textContent = refused.message;
  }
  state.authOpen = state.accounts && !loggedIn() && !state.guestChosen;
  renderAccount();
  setAuthMode('login');

  // Subscribe only to rooms known to exist: one unknown room would make
  // the server refuse the whole stream.
  await refreshRooms();
  // Before a room opens and marks lines read: where we stopped reading,
  // on any device.
  await loadReadPositions();
  const want = roomFromHash();
  state.current = want && canOpen(want) ? want : 'lobby';
  state.subscribed = [isDirect(state.current) ? 'lobby' : state.current];
  state.client.setRooms(state.subscribed);
  state.client.setName(streamName());
  state.client.on('state', showState);
  state.client.on('message', (m) => {
    presenceFrom(m);
    if (m.kind === 'message') stoppedTyping(m.room, m.from);
    addMessage(m, true);
  });
  state.client.on('signal', (s) => {
    if (s.kind === 'typing') onTypingSignal(s);
    else if (s.kind === 'rooms') roomsChanged(s);
  });
  state.client.on('members', onMembers);
  state.client.on('error', onStreamError);
  state.client.connect();
  openRoom(state.current);
  if (window.matchMedia && window.matchMedia('(pointer: fine)').matches) {
    (state.authOpen ? ui.loginName : ui.input).focus();
  }
}

start();
