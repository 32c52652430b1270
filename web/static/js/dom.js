// dom.js: small DOM helpers. Text reaches the page only as text nodes.

export function span(cls, text) {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  return s;
}

// el makes an element with properties and children (nodes or text).
export function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  e.append(...children);
  return e;
}

export function pad2(n) {
  return (n < 10 ? '0' : '') + n;
}

// parseTime accepts the server's RFC 3339 with nanoseconds; Date parsing
// of more than 3 fraction digits is not guaranteed everywhere.
export function parseTime(s) {
  const d = new Date(String(s || '').replace(/(\.\d{3})\d+/, '$1'));
  return isNaN(d.getTime()) ? null : d;
}


// keyed renders list from items [{key, sig, fill(li)}]. A key's <li> is
// kept from one render to the next, so that focus (and a click on its
// way) survives an update, and is refilled only when its sig changed.
const liKey = new WeakMap();
const liSig = new WeakMap();
export function keyed(list, items) {
  const old = new Map();
  Array.from(list.children).forEach((li) => old.set(liKey.get(li), li));
  items.forEach((it, i) => {
    let li = old.get(it.key);
    old.delete(it.key);
    if (!li) {
      li = document.createElement('li');
      liKey.set(li, it.key);
    }
    if (liSig.get(li) !== it.sig) {
      it.fill(li);
      liSig.set(li, it.sig);
    }
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
  old.forEach((li) => li.remove());
}

// roomItem is the list entry of a room or conversation: a button.
