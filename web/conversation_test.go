package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// lineWith is a JS expression for the line of from whose text is text.
func lineWith(from, text string) string {
	return `[...document.querySelectorAll('#messages li.msg[data-id]')].find((e) =>
		e.querySelector('.from').textContent === ` + jsString(from) + ` && e.querySelector('.text').textContent === ` + jsString(text) + `)`
}

// act clicks a line's action button (shown on hover; clicked here by
// script, as a keyboard user reaching it with Tab would).
func (p *page) act(from, text, selector string) {
	p.t.Helper()
	p.waitJS(lineWith(from, text) + ` !== undefined`)
	run(p, chromedp.Evaluate[bool](`(() => { `+lineWith(from, text)+`.querySelector(`+jsString(selector)+`).click(); return true; })()`))
}

func (p *page) send(text string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.ID("input"), text), chromedp.Click(chromedp.ID("send")))
}

// Two people in two browsers: an edit, a reply that shows and jumps to
// the line it answers, reactions toggled, all live on both pages (issue 13).
func TestBrowserEditReplyReact(t *testing.T) {
	base, browser := accountsServer(t)
	ada := openChat(t, browser, base, "ada")
	ada.login("ada", adaPassword)
	bob := openChat(t, browser, base, "bob")
	bob.login("bob", bobPassword)

	bob.send("helo team")
	ada.waitMessage("bob", "helo team")

	// bob fixes his typo.
	bob.act("bob", "helo team", ".act-edit")
	bob.waitJS(`!document.getElementById('compose-bar').hidden && document.getElementById('input').value === 'helo team'`)
	bob.send("hello team")
	for _, p := range []*page{ada, bob} {
		p.waitJS(lineWith("bob", "hello team") + `?.querySelector('.edited')?.textContent === '(edited)'`)
	}
	if n := run(ada, chromedp.Evaluate[int](`document.querySelectorAll('#messages li.msg[data-kind="message"]').length`)); n != 1 {
		t.Errorf("ada sees %d lines after the edit, want 1 (an edit is no new line)", n)
	}
	if ada.lineExists("bob", "helo team") {
		t.Error("ada still sees the old text")
	}
	// ada cannot edit bob's line.
	if has := run(ada, chromedp.Evaluate[bool](lineWith("bob", "hello team")+`.querySelector('.act-edit') !== null`)); has {
		t.Error("ada is offered to edit bob's line")
	}

	// ada replies.
	ada.act("bob", "hello team", ".act-reply")
	ada.waitJS(`document.getElementById('compose-note').textContent === 'Replying to bob: hello team'`)
	ada.send("welcome bob")
	for _, p := range []*page{ada, bob} {
		p.waitJS(lineWith("ada", "welcome bob") + `?.querySelector('.reply-quote')?.textContent === '↪ bob: hello team'`)
	}
	bob.act("ada", "welcome bob", ".reply-quote")
	bob.waitJS(lineWith("bob", "hello team") + `.classList.contains('flash')`)

	// ada reacts 👍, both see it; she takes it back.
	ada.act("bob", "hello team", ".act-react")
	ada.act("bob", "hello team", `.palette .pick[data-emoji="👍"]`)
	for _, p := range []*page{ada, bob} {
		p.waitJS(lineWith("bob", "hello team") + `?.querySelector('.reaction[data-emoji="👍"]')?.textContent === '👍 1'`)
	}
	ada.waitJS(lineWith("bob", "hello team") + `.querySelector('.reaction').getAttribute('aria-pressed') === 'true'`)
	bob.waitJS(lineWith("bob", "hello team") + `.querySelector('.reaction').getAttribute('aria-pressed') === 'false'`)
	ada.act("bob", "hello team", `.reaction[data-emoji="👍"]`)
	for _, p := range []*page{ada, bob} {
		p.waitJS(lineWith("bob", "hello team") + `?.querySelector('.reactions') === null`)
	}

	// bob deletes his line: gone on both pages.
	run(bob, chromedp.Evaluate[bool](`(window.confirm = () => true, true)`))
	bob.act("bob", "hello team", ".act-delete")
	for _, p := range []*page{ada, bob} {
		p.waitJS(lineWith("bob", "hello team") + ` === undefined`)
	}
	ada.checkConsole()
	bob.checkConsole()
}

func (p *page) lineExists(from, text string) bool {
	p.t.Helper()
	return run(p, chromedp.Evaluate[bool](lineWith(from, text)+` !== undefined`))
}

// A logged-in user's read position is kept on the server: another
// browser shows the same unread and mention counts, and a "New messages"
// line where they stopped reading (issue 13 item 8, issue 15 item 2).
func TestBrowserReadPositionAcrossDevices(t *testing.T) {
	base, browser := accountsServer(t)
	laptop := openChat(t, browser, base, "ada-laptop")
	laptop.login("ada", adaPassword)
	bob := openChat(t, browser, base, "bob")
	bob.login("bob", bobPassword)

	bob.send("read this")
	laptop.waitMessage("bob", "read this")
	// The laptop shows the lobby to its end: read up to there (the page
	// tells the server soon: a burst of lines is one request).
	laptop.waitReadOnServer()

	// ada leaves the lobby for another room; bob writes twice.
	bob.api("POST", "/api/rooms", `{"name":"side"}`)
	laptop.waitJS(`document.querySelector('#rooms button.room[data-room="side"]') !== null`)
	laptop.do(chromedp.Click(`#rooms button.room[data-room="side"]`))
	laptop.waitJS(`document.getElementById('room-title').textContent === '#side'`)
	bob.send("first new line")
	bob.send("second, for @ada")
	laptop.waitJS(`document.querySelector('#rooms button.room[data-room="lobby"] .unread')?.textContent === '2'`)

	// Her phone (another browser) logs in: the same counts, from the
	// server.
	phone := newPage(t, browser, "ada-phone")
	phone.do(chromedp.Navigate(base + "/#side"))
	phone.waitJS(`document.getElementById('status').textContent === 'live' && document.getElementById('room-title').textContent === '#side'`)
	phone.login("ada", adaPassword)
	phone.waitJS(`document.querySelector('#rooms button.room[data-room="lobby"] .unread')?.textContent === '2' &&
		document.querySelector('#rooms button.room[data-room="lobby"] .mention-count')?.textContent === '@1'`)

	// Opening the lobby there, "New messages" sits before the first line
	// she had not read.
	phone.do(chromedp.Click(`#rooms button.room[data-room="lobby"]`))
	phone.waitMessage("bob", "second, for @ada")
	phone.waitJS(`(() => { const d = document.querySelector('#messages li.new-divider');
		return d && d.textContent === 'New messages' && d.nextElementSibling.querySelector('.text').textContent === 'first new line'; })()`)

	// Read on the phone, read everywhere: the laptop, reloaded, shows no
	// unread lines in the lobby.
	laptop.waitReadOnServer()
	laptop.do(chromedp.Reload())
	laptop.waitJS(`document.getElementById('status').textContent === 'live'`)
	laptop.waitJS(`document.getElementById('room-title').textContent === '#side' &&
		document.querySelector('#rooms button.room[data-room="lobby"]') !== null &&
		document.querySelector('#rooms button.room[data-room="lobby"] .unread') === null`)
}

// waitReadOnServer waits until the server has the lobby read to its
// newest line for the page's user (pages report it shortly after showing
// it).
func (p *page) waitReadOnServer() {
	p.t.Helper()
	run(p, chromedp.Evaluate[bool](`(window.readDone = false, (async () => {
		for (let i = 0; i < 100; i++) {
			const d = await (await fetch('/api/read')).json();
			if (d.rooms && d.rooms.lobby && d.rooms.lobby.unread === 0) { window.readDone = true; return; }
			await new Promise((r) => setTimeout(r, 100));
		}
	})(), true)`))
	p.waitJS(`window.readDone === true`)
}
