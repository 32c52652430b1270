// format.js: light formatting of a message's text, built with DOM nodes
// only: never HTML from users. From the text:
//   ```code block```, `code`, **bold**, _italic_,
//   http(s) and mailto links (shown as written, rel="noopener noreferrer
//   nofollow", opened in a new tab), and @name for people of the room.
// The text is the message's text as stored: IRC and the txt transcript
// show the same characters plain.

const NAME_CHARS = '[\\p{L}\\p{N}._-]';
const MENTION = '(?<!' + NAME_CHARS + ')@(' + NAME_CHARS + '{1,32})'; // @name, not in an address
const INLINE = new RegExp([
  '`([^`\\n]+)`', // 1: code
  '\\*\\*(?=\\S)([^*]*?\\S)\\*\\*', // 2: bold
  '(?<![\\p{L}\\p{N}_])_(?=\\S)([^_\\n]*?\\S)_(?![\\p{L}\\p{N}_])', // 3: italic
  '\\b((?:https?://|mailto:)[^\\s<>"\'`]+)', // 4: link
  MENTION, // 5: mention
].join('|'), 'gu');
const CODE_BLOCK = /```(?:[a-z0-9+-]*\n)?([\s\S]*?)```/g;
const SAFE_PROTOCOLS = ['http:', 'https:', 'mailto:'];
const MAX_DEPTH = 3; // bold inside italic inside bold: enough

// formatText returns the nodes that show text, and whether it mentions
// the person opts.me. opts.known(name) says whether @name is someone of
// the room (a mention of anyone else stays plain text).
export function formatText(text, opts) {
  const out = { nodes: [], mentionsMe: false };
  let at = 0;
  CODE_BLOCK.lastIndex = 0;
  for (let m; (m = CODE_BLOCK.exec(text)) !== null;) {
    inline(text.slice(at, m.index), opts, out, 0, out.nodes);
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    code.textContent = m[1].replace(/\n$/, '');
    pre.append(code);
    out.nodes.push(pre);
    at = m.index + m[0].length;
  }
  inline(text.slice(at), opts, out, 0, out.nodes);
  return out;
}

function inline(text, opts, out, depth, into) {
  if (!text) return;
  const re = new RegExp(INLINE.source, INLINE.flags); // own lastIndex: we recurse
  let at = 0;
  for (let m; (m = re.exec(text)) !== null;) {
    let node = null;
    let used = m[0];
    if (m[1] !== undefined) {
      node = element('code', m[1]);
    } else if (m[2] !== undefined || m[3] !== undefined) {
      if (depth < MAX_DEPTH) {
        node = document.createElement(m[2] !== undefined ? 'strong' : 'em');
        const kids = [];
        inline(m[2] !== undefined ? m[2] : m[3], opts, out, depth + 1, kids);
        node.append(...kids);
      }
    } else if (m[4] !== undefined) {
      used = trimURL(m[4]);
      node = link(used);
    } else if (m[5] !== undefined) {
      const name = mentionedName(m[5]);
      used = '@' + name;
      if (opts.me && name.toLowerCase() === opts.me.toLowerCase()) {
        out.mentionsMe = true;
        node = element('span', used);
        node.className = 'mention me';
      } else if (opts.known && opts.known(name)) {
        node = element('span', used);
        node.className = 'mention';
      }
    }
    if (!node) continue; // not ours: stays text
    if (m.index > at) into.push(document.createTextNode(text.slice(at, m.index)));
    into.push(node);
    at = m.index + used.length;
    re.lastIndex = at;
  }
  if (at < text.length) into.push(document.createTextNode(text.slice(at)));
}

function element(tag, text) {
  const e = document.createElement(tag);
  e.textContent = text;
  return e;
}

// trimURL drops what ends a sentence from a URL: trailing punctuation,
// and a closing parenthesis that has no opening one in the URL.
function trimURL(u) {
  for (;;) {
    const last = u[u.length - 1];
    if ('.,;:!?\'"'.includes(last)) u = u.slice(0, -1);
    else if (last === ')' && (u.match(/\(/g) || []).length < (u.match(/\)/g) || []).length) u = u.slice(0, -1);
    else return u;
  }
}

// link makes an <a> for a URL of a safe scheme, or a text node for
// anything else. Its text is the URL as written, so that it cannot pass
// for another address.
function link(u) {
  let url;
  try {
    url = new URL(u);
  } catch (err) {
    return null;
  }
  if (SAFE_PROTOCOLS.indexOf(url.protocol) < 0) return null;
  const a = document.createElement('a');
  a.href = url.href;
  a.textContent = u;
  a.rel = 'noopener noreferrer nofollow';
  a.target = '_blank';
  a.className = 'link';
  return a;
}

// mentions reports whether text mentions @me, as formatText would mark it
// (outside code).
export function mentions(text, me) {
  if (!me || !text || text.indexOf('@') < 0) return false;
  const re = new RegExp(MENTION, 'gu');
  const plain = text.replace(CODE_BLOCK, ' ').replace(/`[^`\n]+`/g, ' ');
  const want = me.toLowerCase();
  for (let m; (m = re.exec(plain)) !== null;) {
    if (mentionedName(m[1]).toLowerCase() === want) return true;
  }
  return false;
}

// mentionedName is the name of an @mention: "@ada." ends a sentence.
function mentionedName(raw) {
  return raw.replace(/[.]+$/, '');
}
