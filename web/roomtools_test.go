package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Private rooms from the page (issue 15 item 3): ada creates one, its
// topic (set through the API) is shown, she invites bob; bob sees the
// invitation, joins with a click, and later leaves; ada, the owner, turns
// join/leave notices off from the page.
func TestBrowserPrivateRoomControls(t *testing.T) {
	base, browser := accountsServer(t)

	ada := newPage(t, browser, "ada")
	ada.do(chromedp.Navigate(base + "/"))
	ada.login("ada", adaPassword)
	ada.do(
		chromedp.SetValue(chromedp.ID("new-room"), "staff"),
		chromedp.Click(chromedp.ID("new-room-private")),
		chromedp.Click(chromedp.ID("create-room")),
	)
	ada.waitJS(`document.getElementById('room-title').textContent === '#staff'`)
	adaToken := apiLogin(t, base, "ada", adaPassword)
	apiDo(t, "PUT", base+"/api/rooms/staff/topic", adaToken, `{"topic":"Budget <b>2027</b>"}`, http.StatusNoContent)
	ada.do(chromedp.Navigate(base+"/#staff"), chromedp.Reload()) // a reload, not a same-page hash change
	ada.waitJS(`document.getElementById('status').textContent === 'live' && document.getElementById('room-topic').textContent === 'Budget <b>2027</b>' && !document.getElementById('room-topic').hidden`)

	ada.waitJS(`!document.getElementById('invite-form').hidden`)
	ada.do(chromedp.SetValue(chromedp.ID("invite-user"), "bob"), chromedp.Click(chromedp.ID("invite-send")))
	ada.waitJS(`document.getElementById('room-tools-msg').textContent.includes('bob is invited')`)

	bob := newPage(t, browser, "bob")
	bob.do(chromedp.Navigate(base + "/"))
	bob.login("bob", bobPassword)
	bob.waitJS(`document.querySelector('#invites button.accept-invite[data-room="staff"]') !== null && !document.getElementById('invites-section').hidden`)
	bob.do(chromedp.Click(`#invites button.accept-invite[data-room="staff"]`))
	bob.waitJS(`document.getElementById('room-title').textContent === '#staff' && document.getElementById('invites-section').hidden`)
	if !run(bob, chromedp.Evaluate[bool](`document.getElementById('invite-form').hidden && document.getElementById('notices-toggle').hidden`)) {
		t.Error("bob, a member, is offered the owner's controls")
	}

	// ada turns notices off from the page; the server has it.
	ada.waitJS(`document.getElementById('notices-toggle').textContent.endsWith('on')`)
	ada.do(chromedp.Click(chromedp.ID("notices-toggle")))
	ada.waitJS(`document.getElementById('notices-toggle').textContent.endsWith('off')`)
	body := apiDo(t, "GET", base+"/api/rooms", adaToken, "", http.StatusOK)
	if !strings.Contains(string(body), `"name":"staff"`) || !strings.Contains(string(body), `"notices":false`) {
		t.Errorf("rooms after turning notices off: %s", body)
	}

	// bob leaves; staff is gone from his list.
	run(bob, chromedp.Evaluate[bool](`window.confirm = () => true, true`))
	bob.waitJS(`!document.getElementById('leave-room').hidden`)
	bob.do(chromedp.Click(chromedp.ID("leave-room")))
	bob.waitJS(`document.getElementById('room-title').textContent === '#lobby' && document.querySelector('#rooms button.room[data-room="staff"]') === null`)
	if run(ada, chromedp.Evaluate[bool](`document.getElementById('leave-room').hidden`)) != true {
		t.Error("ada, the owner, is offered to leave her own room")
	}
	ada.checkConsole()
	bob.checkConsole()
}
