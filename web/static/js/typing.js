// typing.js: "ada is typing…" under the messages, from the server's typing
// signals (never stored: a page that opens later does not see who was
// typing before), and telling the others while we type.

import { loggedIn, state, ui } from './state.js';
import { myName, streamName } from './account.js';

const LAPSE = 6000; // parley.TypingLapse: a signal stands this long
const SEND_EVERY = 2500; // while typing, repeat the signal this often
const typers = new Map(); // room -> Map(name -> ms when it lapses)
let lapseTimer = null;
let sentAt = 0;
let sentRoom = '';

// onTypingSignal records a typing signal from someone else.
export function onTypingSignal(s) {
  if (typeof s.from !== 'string' || !s.from || s.from === myName()) return;
  let room = typers.get(s.room);
  if (!room) typers.set(s.room, (room = new Map()));
  room.set(s.from, Date.now() + LAPSE);
  renderTyping();
}

// stoppedTyping follows a line from name in room: their typing is done.
export function stoppedTyping(room, name) {
  const r = typers.get(room);
  if (r && r.delete(name)) renderTyping();
}

// renderTyping shows who is typing in the open room, and arms a timer for
// the next signal to lapse.
export function renderTyping() {
  const now = Date.now();
  let next = Infinity;
  typers.forEach((names, room) => {
    names.forEach((until, name) => {
      if (until <= now) names.delete(name);
      else next = Math.min(next, until);
    });
    if (!names.size) typers.delete(room);
  });
  const names = Array.from((typers.get(state.current) || new Map()).keys()).sort();
  let text = '';
  if (names.length === 1) text = names[0] + ' is typing…';
  else if (names.length === 2) text = names[0] + ' and ' + names[1] + ' are typing…';
  else if (names.length > 2) text = 'Several people are typing…';
  ui.typing.textContent = text; // names are text, never HTML
  ui.typing.dataset.names = names.join(',');
  ui.typing.classList.toggle('active', names.length > 0);
  clearTimeout(lapseTimer);
  if (next !== Infinity) lapseTimer = setTimeout(renderTyping, next - now + 50);
}

// onComposerInput tells the room's watchers that we are typing: at most
// every SEND_EVERY, only while there is text, and only for someone who
// can post (logged in, or a guest with a name). Failures are ignored: a
// typing signal is a courtesy.
export function onComposerInput() {
  if (!ui.input.value.trim() || state.client.state !== 'live') return;
  const now = Date.now();
  if (sentRoom === state.current && now - sentAt < SEND_EVERY) return;
  const name = loggedIn() ? null : streamName();
  if (!loggedIn() && !name) return;
  sentAt = now;
  sentRoom = state.current;
  state.client.typing(state.current, name).catch(() => {});
}

// lineSent: after our line is sent, the next keystroke signals again.
export function lineSent() {
  sentAt = 0;
}
