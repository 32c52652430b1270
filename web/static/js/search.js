// search.js: the search panel. A result opens its message in context:
// the lines around it, as an earlier window of its room.

import {
  CHANGES,
  CONTEXT_LIMIT,
  MAX_MESSAGES,
  SEARCH_LIMIT,
  canOpen,
  isDirect,
  loggedIn,
  peerOf,
  roomLabel,
  roomState,
  state,
  ui,
} from './state.js';
import { pad2, parseTime, span } from './dom.js';
import { renderCurrentRoom, resetWindow } from './messages.js';
import { openRoom, refreshRooms } from './rooms.js';

// ---- search -------------------------------------------------------------

// Results come from GET /api/search (parley.js search()). A result opens
// its message in context: the lines around it, as an earlier window of
// its room (see renderOlderBar). Snippets are built from text nodes and
// <mark> elements, never from HTML.
let search = null; // {q, room, next}: the search on show
let searchSeq = 0; // answers to older requests are dropped
let searchCtl = null; // AbortController of the request in flight
let contextSeq = 0; // the same, for opening a result

function setSearchStatus(text, isError) {
  ui.searchStatus.textContent = text;
  if (isError) ui.searchStatus.dataset.error = 'true';
  else delete ui.searchStatus.dataset.error;
  ui.searchStatus.setAttribute('role', isError ? 'alert' : 'status');
}

function searchErrorText(err) {
  const msg = err.message || 'failed';
  if (err.status === 0) return 'Could not search: ' + (msg === 'request timed out' ? 'the server did not answer in time.' : 'the server could not be reached.');
  if (err.status === 400) return 'Cannot search for that: ' + msg;
  if (err.status === 401 || err.status === 403) return 'Not allowed to search there: ' + msg;
  if (err.status === 404) return msg;
  if (err.status === 429) return 'Too many searches: ' + msg + (err.retryAfter > 0 ? ' Try again in ' + err.retryAfter + ' s.' : '');
  if (err.status === 503) return 'The search did not finish: ' + msg;
  return 'The search failed: ' + msg;
}

function cancelSearch() {
  searchSeq++;
  if (searchCtl) searchCtl.abort();
  searchCtl = null;
  ui.searchPanel.removeAttribute('aria-busy');
}

export function submitSearch(ev) {
  ev.preventDefault();
  const q = ui.searchQ.value.trim();
  cancelSearch();
  ui.searchPanel.hidden = false;
  ui.searchResults.replaceChildren();
  ui.searchMore.hidden = true;
  if (!q) {
    search = null;
    setSearchStatus('Type the words to search for.', true);
    ui.searchQ.focus();
    return;
  }
  search = { q, room: ui.searchHere.checked ? state.current : '', next: null };
  fetchSearch(search, false);
}

// fetchSearch asks for the first page of s, or with more the next one.
function fetchSearch(s, more) {
  cancelSearch();
  const seq = searchSeq;
  const ctl = typeof AbortController === 'function' ? new AbortController() : null;
  searchCtl = ctl;
  ui.searchMore.hidden = true;
  ui.searchPanel.setAttribute('aria-busy', 'true');
  setSearchStatus(more ? 'Loading more results…' : 'Searching…', false);
  const opts = { limit: SEARCH_LIMIT, signal: ctl ? ctl.signal : undefined };
  if (s.room) opts.room = s.room;
  if (more) opts.cursor = s.next;
  state.client.search(s.q, opts).then(
    (page) => {
      if (seq !== searchSeq) return;
      searchCtl = null;
      ui.searchPanel.removeAttribute('aria-busy');
      page.results.forEach((res) => ui.searchResults.append(searchItem(res)));
      s.next = page.next;
      ui.searchMore.hidden = !page.next;
      const n = ui.searchResults.children.length;
      const where = s.room ? ' in ' + roomLabel(s.room) : '';
      setSearchStatus(n === 0
        ? 'No messages found' + where + '.'
        : n + (n === 1 ? ' message' : ' messages') + where + (page.next ? ', more below.' : '.'), false);
    },
    (err) => {
      if (seq !== searchSeq) return;
      searchCtl = null;
      ui.searchPanel.removeAttribute('aria-busy');
      setSearchStatus(searchErrorText(err), true);
      ui.searchMore.hidden = !(more && s.next); // a failed "more" may be tried again
    },
  );
}

// searchItem is the list entry of one result: a button that opens the
// message in context.
function searchItem(res) {
  const m = res.message;
  const li = document.createElement('li');
  li.className = 'search-hit';
  li.dataset.id = String(m.id);
  li.dataset.room = String(m.room);

  const t = document.createElement('time');
  t.className = 'hit-time';
  const d = parseTime(m.time);
  if (d) {
    t.dateTime = d.toISOString();
    t.textContent = d.toLocaleDateString() + ' ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    t.title = d.toLocaleString();
  }
  const head = span('hit-head', '');
  head.append(span('hit-room', isDirect(m.room) && loggedIn() ? roomLabel(m.room) : (isDirect(m.room) ? m.room : '#' + m.room)),
    ' ', span('hit-from', m.from || ''), ' ', t);

  const snippet = span('hit-snippet', '');
  const parts = Array.isArray(res.snippet) && res.snippet.length ? res.snippet : [{ text: m.text || '' }];
  parts.forEach((p) => {
    if (!p || typeof p.text !== 'string') return;
    if (p.match) {
      const mark = document.createElement('mark');
      mark.textContent = p.text;
      snippet.append(mark);
    } else {
      snippet.append(document.createTextNode(p.text));
    }
  });

  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'search-open';
  b.append(head, snippet);
  li.append(b);
  return li;
}

export function onResultClick(ev) {
  const b = ev.target.closest('button.search-open');
  if (!b) return;
  const li = b.parentElement;
  Array.from(ui.searchResults.children).forEach((x) => x.removeAttribute('aria-current'));
  li.setAttribute('aria-current', 'true');
  openInContext(li.dataset.room, Number(li.dataset.id));
}

// openInContext opens room with the lines around message id (up to
// CONTEXT_LIMIT each side), scrolls to it and marks it. When the lines
// after it reach the newest, the room simply stays live; otherwise it
// shows an earlier window until "Jump to latest".
export async function openInContext(room, id) {
  const seq = ++contextSeq;
  if (!Number.isInteger(id) || id <= 0) return;
  if (!canOpen(room)) await refreshRooms();
  if (seq !== contextSeq) return;
  if (!canOpen(room)) {
    setSearchStatus('Cannot open ' + room + ' on this page.', true);
    return;
  }
  setSearchStatus('Opening the message…', false);
  const get = (page) => (isDirect(room) ? state.client.directHistory(peerOf(room), page) : state.client.history(room, page));
  let before;
  let after;
  try {
    [before, after] = await Promise.all([
      get({ before: id + 1, limit: CONTEXT_LIMIT }), // the message and the lines before it
      get({ after: id, limit: CONTEXT_LIMIT }),
    ]);
  } catch (err) {
    if (seq === contextSeq) setSearchStatus('Could not open the message: ' + err.message, true);
    return;
  }
  if (seq !== contextSeq) return;
  if (!before.some((m) => m.id === id)) {
    setSearchStatus('That message is gone: it was deleted or has expired.', true);
    return;
  }
  const r = roomState(room);
  const reachesLatest = after.length < CONTEXT_LIMIT;
  // Reaching the newest lines, the window joins what the stream brought
  // meanwhile (if the room was live), and the room stays live.
  const keep = reachesLatest && !r.detached
    ? r.msgs.filter((m) => m.id > id).slice(-(MAX_MESSAGES - 2 * CONTEXT_LIMIT))
    : [];
  const byId = new Map();
  before.concat(after, keep).forEach((m) => {
    // Change entries are applied already: history has lines in their
    // current state.
    if (m && typeof m.id === 'number' && CHANGES.indexOf(m.kind) < 0) byId.set(m.id, m);
  });
  resetWindow(r);
  r.msgs = Array.from(byId.values()).sort((a, b) => a.id - b.id);
  r.msgs.forEach((m) => r.ids.add(m.id));
  r.history = 'done';
  r.detached = !reachesLatest;
  r.target = id;
  if (state.current !== room) openRoom(room);
  else renderCurrentRoom();
  const el = ui.messages.querySelector('li.msg[data-id="' + id + '"]');
  if (el) el.scrollIntoView({ block: 'center' });
  setSearchStatus('Showing the message in ' + roomLabel(room) + '.', false);
}

// closeSearch hides the results and drops what is in flight.
export function closeSearch() {
  cancelSearch();
  contextSeq++;
  ui.searchPanel.hidden = true;
}

// moreResults asks for the next page of the search on show.
export function moreResults() {
  if (search && search.next) fetchSearch(search, true);
}
