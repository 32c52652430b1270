// notify.js: browser notifications for lines meant for us (a mention, a
// direct message) while the page is in the background. Off until the
// person turns them on with the bell button (browsers ask for permission
// only on a user gesture); the choice is remembered in this browser.

import { roomLabel, storageGet, storageSet, ui } from './state.js';

const NOTIFY_KEY = 'parley.notify';

function supported() {
  return typeof Notification === 'function';
}

function wanted() {
  return storageGet(NOTIFY_KEY) === '1';
}

// renderNotify shows the bell's state.
export function renderNotify() {
  if (!supported()) {
    ui.notifyToggle.hidden = true;
    return;
  }
  const on = wanted() && Notification.permission === 'granted';
  const denied = Notification.permission === 'denied';
  ui.notifyToggle.hidden = false;
  ui.notifyToggle.setAttribute('aria-pressed', on ? 'true' : 'false');
  ui.notifyToggle.textContent = on ? '🔔 On' : '🔕 Off';
  ui.notifyToggle.title = denied
    ? 'Notifications are blocked for this site in your browser settings'
    : on ? 'Mentions and direct messages notify you while Parley is in the background: click to stop'
      : 'Click to be notified of mentions and direct messages while Parley is in the background';
}

// toggleNotify runs on a click: turning on asks for permission first.
export function toggleNotify() {
  if (!supported()) return;
  if (wanted() && Notification.permission === 'granted') {
    storageSet(NOTIFY_KEY, '0');
    renderNotify();
    return;
  }
  const ask = Notification.permission === 'default' ? Notification.requestPermission() : Promise.resolve(Notification.permission);
  Promise.resolve(ask).then((p) => {
    storageSet(NOTIFY_KEY, p === 'granted' ? '1' : '0');
    renderNotify();
  });
}

// notify shows a notification for m when the page is in the background
// and notifications are on. Its text is the line's text: browsers show it
// as text.
export function notify(m) {
  if (!supported() || !wanted() || Notification.permission !== 'granted' || !document.hidden) return;
  try {
    const n = new Notification(roomLabel(m.room), { body: (m.from || '') + ': ' + (m.text || ''), tag: 'parley:' + m.room });
    n.onclick = () => {
      window.focus();
      location.hash = '#' + m.room;
      n.close();
    };
  } catch (err) {
    /* e.g. Chrome on Android wants a service worker: no notification */
  }
}
