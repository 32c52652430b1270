package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The room list and "is typing" are live on every transport: a room
// created by someone else appears without a reload, and a guest's typing
// shows on the other page until their line arrives (issues 15 and 13).
func TestBrowserLiveRoomListAndTyping(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	browser := startBrowser(t, execPath)
	for _, transport := range []string{"ws", "sse", "poll"} {
		t.Run(transport, func(t *testing.T) {
			a, b := newPage(t, browser, "A-"+transport), newPage(t, browser, "B-"+transport)
			for _, p := range []*page{a, b} {
				p.do(chromedp.Navigate(ts.URL() + "/?transport=" + transport))
				p.waitJS(`document.getElementById('status').textContent === 'live'`)
				p.wantTransport(transport)
			}
			a.setName("ann" + transport)
			b.setName("bea" + transport)

			// Over long-polling a signal reaches the polls held when it is
			// sent (one between two polls of a page is not kept): wait
			// until both pages hold one.
			held := func() {
				if transport != "poll" {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				defer cancel()
				if err := ts.srv.AwaitPollers(ctx, 2); err != nil {
					t.Fatalf("waiting for both pages to hold a poll: %v", err)
				}
			}
			held()
			room := "standup-" + transport
			resp, err := http.Post(ts.URL()+"/api/rooms", "application/json", strings.NewReader(`{"name":"`+room+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("creating %s: %d", room, resp.StatusCode)
			}
			a.waitJS(`document.querySelector('#rooms button.room[data-room="` + room + `"]') !== null`)

			// B types: A sees it; B sends: A's indicator is gone with the
			// line's arrival.
			held()
			b.do(chromedp.SendKeys(chromedp.ID("input"), "hello fr"))
			a.waitJS(`document.getElementById('typing').dataset.names === 'bea` + transport + `' &&
				document.getElementById('typing').textContent === 'bea` + transport + ` is typing…'`)
			if own := run(b, chromedp.Evaluate[string](`document.getElementById('typing').textContent`)); own != "" {
				t.Errorf("B is shown its own typing: %q", own)
			}
			b.do(chromedp.SendKeys(chromedp.ID("input"), "om B\n"))
			a.waitMessage("bea"+transport, "hello from B")
			a.waitJS(`document.getElementById('typing').dataset.names === '' && document.getElementById('typing').textContent === ''`)
			a.checkConsole()
			b.checkConsole()
		})
	}
}
