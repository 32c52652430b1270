// outbox.js: sending. Lines go into a FIFO that one sender loop drains in
// order, one POST at a time, so typing never blocks; the composer.

import { isDirect, loggedIn, peerOf, roomState, state, ui } from './state.js';
import { span } from './dom.js';
import { currentName, myName, postingAsGuest } from './account.js';
import { addMessage, jumpToLatest, scrollToBottom } from './messages.js';
import { lineSent } from './typing.js';
import { cancelCompose, replyTarget, submitEdit } from './lines.js';

// ---- outgoing queue ---------------------------------------------------

const queue = []; // FIFO of lines not yet confirmed or rejected
let pumping = false;

function outgoingElement(item) {
  const li = document.createElement('li');
  li.className = 'out sending';
  li.append(span('from', item.name), ' ', span('text', item.text), ' ');
  item.stateEl = span('state', 'sending…');
  li.append(item.stateEl);
  return li;
}

function setOutgoingState(item, cls, text) {
  item.el.className = 'out ' + cls;
  item.stateEl.textContent = text;
}

function removeOutgoing(item) {
  const r = roomState(item.room);
  r.outgoing = r.outgoing.filter((e) => e !== item.el);
  item.el.remove();
}

function enqueue(text, replyTo) {
  // The writer wants to see their line among the newest ones.
  if (roomState(state.current).detached) jumpToLatest();
  postingAsGuest();
  const item = {
    room: state.current,
    to: isDirect(state.current) ? peerOf(state.current) : null, // a direct message's recipient
    text,
    replyTo, // the line it answers, or 0
    name: myName(), // the sender, as the line will show it
    guestName: loggedIn() ? null : currentName(), // what the POST names
    attempts: 0,
    tried: false, // a POST was started: the server may have it
    seenBefore: -1, // the stream's cursor when the first POST started
    matched: null, // id of the same line seen on the stream
    wake: null,
  };
  item.el = outgoingElement(item);
  roomState(item.room).outgoing.push(item.el);
  ui.outbox.append(item.el);
  scrollToBottom(); // the writer wants to see their own line
  queue.push(item);
  pump();
}

// pump is the single sender loop: it posts the queue head and moves on
// only once that line is confirmed or rejected, so order is kept.
async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    while (queue.length) {
      await deliver(queue[0]);
      queue.shift();
    }
  } finally {
    pumping = false;
  }
}

async function deliver(item) {
  for (;;) {
    if (!item.tried) item.seenBefore = state.client.cursor == null ? -1 : state.client.cursor;
    item.tried = true;
    if (item.attempts > 0) setOutgoingState(item, 'sending', 'sending… (retry ' + item.attempts + ')');
    let err;
    try {
      const m = item.to
        ? await state.client.sendDirect(item.to, item.text)
        : await state.client.send(item.room, item.text, item.guestName, { replyTo: item.replyTo });
      return confirmOutgoing(item, m);
    } catch (e) {
      err = e;
    }
    // A copy seen on the stream means an earlier attempt was committed:
    // sending again would post it twice.
    if (item.matched != null) return confirmOutgoing(item, null);
    if (!err.retryable) return rejectOutgoing(item, err);
    const delay = err.retryAfter != null
      ? err.retryAfter * 1000
      : Parley.backoff(item.attempts, 1000, 30000);
    item.attempts++;
    setOutgoingState(item, 'failing', 'not sent: ' + err.message + '; retrying…');
    await new Promise((resolve) => {
      const t = setTimeout(resolve, delay);
      item.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    item.wake = null;
    if (item.matched != null) return confirmOutgoing(item, null);
  }
}

function confirmOutgoing(item, m) {
  removeOutgoing(item);
  if (m) addMessage(m, false);
}

// A 4xx: the server will refuse this line every time. Keep it on screen
// with the server's reason until the writer dismisses it.
function rejectOutgoing(item, err) {
  setOutgoingState(item, 'rejected', 'not sent: ' + err.message);
  const x = document.createElement('button');
  x.type = 'button';
  x.className = 'dismiss';
  x.textContent = '×';
  x.setAttribute('aria-label', 'Dismiss');
  x.addEventListener('click', () => removeOutgoing(item));
  item.el.append(x);
  item.el.setAttribute('role', 'alert');
}

// matchOutgoing notices our own line arriving on the stream before the
// POST answer (or after a POST whose answer was lost). There is no client
// message id in the API, so this matches on room, name and text, and only
// messages committed after the first POST started.
export function matchOutgoing(m) {
  const item = queue[0];
  if (!item || !item.tried || item.matched != null || m.id <= item.seenBefore) return;
  if (m.kind !== 'message' || m.room !== item.room || m.from !== item.name || m.text !== item.text) return;
  item.matched = m.id;
  removeOutgoing(item); // the confirmed copy takes its place
  if (item.wake) item.wake();
}

// ---- composer ---------------------------------------------------------

export function autosize() {
  ui.input.style.height = 'auto';
  ui.input.style.height = Math.min(ui.input.scrollHeight, 160) + 'px';
}

// updateCounter shows how long the line is once it nears the server's
// limit, and marks it when it is over.
export function updateCounter() {
  const n = [...ui.input.value].length; // characters, as the server counts
  const near = state.maxText > 0 && n > state.maxText * 0.8;
  ui.counter.hidden = !near;
  ui.counter.classList.toggle('over', state.maxText > 0 && n > state.maxText);
  ui.counter.textContent = near ? n + ' / ' + state.maxText : '';
  return n;
}

export function submitLine(ev) {
  ev.preventDefault();
  const text = ui.input.value;
  if (!text.trim()) return;
  if (state.maxText > 0 && updateCounter() > state.maxText) {
    // Too long to send: keep it in the composer for editing.
    ui.counter.textContent = [...text].length + ' / ' + state.maxText + ': too long to send, shorten it';
    ui.input.focus();
    return;
  }
  if (state.compose && state.compose.mode === 'edit') {
    submitEdit(text); // the text stays until the edit is saved
    return;
  }
  ui.input.value = '';
  updateCounter();
  autosize();
  lineSent();
  enqueue(text, replyTarget());
}

export function onInputKey(ev) {
  if (ev.key === 'Escape' && state.compose) {
    cancelCompose();
    return;
  }
  // Enter sends; Shift+Enter is a newline; never while an IME composes.
  if (ev.key !== 'Enter' || ev.shiftKey || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  if (ev.isComposing || ev.keyCode === 229) return;
  submitLine(ev);
}

// wakeSender retries the line at the head of the queue now, rather than
// when its back-off ends (the connection is back).
export function wakeSender() {
  if (queue.length && queue[0].wake) queue[0].wake();
}
