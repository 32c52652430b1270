// lines.js: what one can do with a line: reply to it, react to it, edit
// or delete one's own; and showing the results (the quoted line, the
// "(edited)" mark, the reactions). Changes come back as log entries
// (edit, react, unreact, delete) and are applied by applyChange.

import { isDirect, loggedIn, roomState, rooms, state, ui } from './state.js';
import { span } from './dom.js';
import { openInContext } from './search.js';
import { addMessage, rerenderLine } from './messages.js';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '👀'];

function button(cls, text, label) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = text;
  if (label) b.setAttribute('aria-label', label);
  return b;
}

function mine(m) {
  return loggedIn() && m.from === state.me.name && !m.guest;
}

// quoteOf is the short form of a line a reply answers.
function quoteOf(room, id) {
  const r = rooms.get(room);
  const q = r && r.msgs.find((x) => x.id === id);
  if (!q) return 'an earlier line';
  const text = (q.text || '').replace(/\s+/g, ' ');
  return q.from + ': ' + (text.length > 80 ? text.slice(0, 79) + '…' : text);
}

// decorate adds a chat line's reply quote, edited mark, reactions and
// actions to its element (li holds .from and .text already).
export function decorate(li, m) {
  if (m.reply_to) {
    const q = button('reply-quote', '↪ ' + quoteOf(m.room, m.reply_to), 'In reply to ' + quoteOf(m.room, m.reply_to) + ': show it');
    q.dataset.ref = String(m.reply_to);
    li.querySelector('.text').before(q, ' ');
  }
  if (m.edited) {
    const e = span('edited', '(edited)');
    e.title = 'edited ' + new Date(m.edited).toLocaleString();
    li.append(' ', e);
  }
  if (Array.isArray(m.reactions) && m.reactions.length) {
    const row = document.createElement('div');
    row.className = 'reactions';
    m.reactions.forEach((x) => {
      const on = loggedIn() && Array.isArray(x.by) && x.by.indexOf(state.me.name) >= 0;
      const b = button('reaction', x.emoji + ' ' + x.count);
      b.dataset.emoji = x.emoji;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.title = (x.by || []).join(', ');
      b.disabled = !loggedIn();
      row.append(b);
    });
    li.append(row);
  }
  const acts = document.createElement('div');
  acts.className = 'line-actions';
  if (!isDirect(m.room)) acts.append(button('act-reply', 'Reply', 'Reply to ' + m.from));
  if (loggedIn()) acts.append(button('act-react', '☺', 'React'));
  if (mine(m)) acts.append(button('act-edit', 'Edit'));
  if (mine(m) || state.me.admin) acts.append(button('act-delete', 'Delete'));
  li.append(acts);
}

// applyChange applies an edit, react or unreact entry to the line it
// changes, if we have it; reports whether it did. Applying one twice
// changes nothing.
export function applyChange(m) {
  const r = rooms.get(m.room);
  const target = r && r.msgs.find((x) => x.id === m.ref);
  if (!target) return false;
  if (m.kind === 'edit') {
    target.text = m.text;
    target.edited = m.time;
  } else {
    const list = Array.isArray(target.reactions) ? target.reactions.map((x) => ({ ...x, by: (x.by || []).slice() })) : [];
    let x = list.find((e) => e.emoji === m.text);
    if (m.kind === 'react') {
      if (!x) list.push((x = { emoji: m.text, count: 0, by: [] }));
      if (x.by.indexOf(m.from) < 0) x.by.push(m.from);
    } else if (x) {
      x.by = x.by.filter((n) => n !== m.from);
    }
    list.forEach((e) => { e.count = e.by.length; });
    target.reactions = list.filter((e) => e.count > 0);
  }
  return true;
}

// ---- the composer's context: replying to a line, or editing ours -----

// state.compose: null, or {mode: 'reply' | 'edit', room, id, saved}
export function renderCompose() {
  const c = state.compose;
  ui.composeBar.hidden = !c;
  if (!c) return;
  ui.composeNote.textContent = c.mode === 'edit'
    ? 'Editing your line'
    : 'Replying to ' + quoteOf(c.room, c.id);
  ui.composeError.textContent = c.error || '';
}

export function cancelCompose() {
  const c = state.compose;
  if (!c) return;
  state.compose = null;
  if (c.mode === 'edit') ui.input.value = c.saved || '';
  renderCompose();
}

// submitEdit saves the composer's text as the edit of our line; the
// edit entry comes back on the stream. On refusal the text stays.
export function submitEdit(text) {
  const c = state.compose;
  c.error = '';
  state.client.edit(c.id, text).then(
    (entry) => {
      if (state.compose !== c) return;
      state.compose = null;
      ui.input.value = c.saved || '';
      renderCompose();
      changed(entry);
    },
    (err) => {
      if (state.compose !== c) return;
      c.error = 'Not saved: ' + err.message;
      renderCompose();
    },
  );
}

// replyTarget is the line the next line answers (and forgets it), or 0.
export function replyTarget() {
  const c = state.compose;
  if (!c || c.mode !== 'reply' || c.room !== state.current) return 0;
  state.compose = null;
  renderCompose();
  return c.id;
}

// ---- clicks on lines --------------------------------------------------

// changed shows a change made here (an edit, a deletion, reactions) at
// once: the stored entry, or the line m with its new reactions. Its entry
// on the stream later changes nothing more.
function changed(entry, m) {
  if (entry) addMessage(entry, false);
  else if (m) rerenderLine(m.room, m.id);
}

export function onLineClick(ev) {
  const b = ev.target.closest('button');
  const li = ev.target.closest('li.msg[data-id]');
  if (!b || !li) return;
  const id = Number(li.dataset.id);
  const r = roomState(state.current);
  const m = r.msgs.find((x) => x.id === id);
  if (!m) return;
  if (b.classList.contains('reply-quote')) {
    jumpTo(m.room, Number(b.dataset.ref));
  } else if (b.classList.contains('act-reply')) {
    state.compose = { mode: 'reply', room: m.room, id };
    renderCompose();
    ui.input.focus();
  } else if (b.classList.contains('act-edit')) {
    const saved = state.compose && state.compose.mode === 'edit' ? state.compose.saved : ui.input.value;
    state.compose = { mode: 'edit', room: m.room, id, saved };
    ui.input.value = m.text;
    renderCompose();
    ui.input.focus();
  } else if (b.classList.contains('act-delete')) {
    if (!window.confirm('Delete this line for everyone?')) return;
    state.client.remove(id).then((entry) => changed(entry), (err) => window.alert('Not deleted: ' + err.message));
  } else if (b.classList.contains('act-react')) {
    togglePalette(li, id);
  } else if (b.classList.contains('pick')) {
    react(m, b.dataset.emoji, true);
    togglePalette(li, id);
  } else if (b.classList.contains('reaction')) {
    react(m, b.dataset.emoji, b.getAttribute('aria-pressed') !== 'true');
  }
}

function react(m, emoji, on) {
  state.client.react(m.id, emoji, on).then(
    (res) => {
      if (res && Array.isArray(res.reactions)) {
        m.reactions = res.reactions;
        changed(null, m);
      }
    },
    (err) => window.alert('Reaction not saved: ' + err.message),
  );
}

function togglePalette(li, id) {
  const open = li.querySelector('.palette');
  if (open) {
    open.remove();
    return;
  }
  const p = document.createElement('div');
  p.className = 'palette';
  p.setAttribute('role', 'group');
  p.setAttribute('aria-label', 'Pick a reaction');
  QUICK_REACTIONS.forEach((e) => {
    const b = button('pick', e, 'React with ' + e);
    b.dataset.emoji = e;
    p.append(b);
  });
  li.append(p);
  p.firstElementChild.focus();
}

// jumpTo shows line id of room: scrolled to and marked when on show,
// else opened in context (loading the lines around it).
export function jumpTo(room, id) {
  const el = ui.messages.querySelector('li.msg[data-id="' + id + '"]');
  if (el && room === state.current) {
    el.scrollIntoView({ block: 'center' });
    el.classList.remove('flash');
    void el.offsetWidth; // restart the animation
    el.classList.add('flash');
    return;
  }
  openInContext(room, id);
}
