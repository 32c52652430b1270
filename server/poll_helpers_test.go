package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// pollAnswer is the body of a poll answer.
type pollAnswer struct {
	Events  []parley.Message `json:"events"`
	Cursor  int64            `json:"cursor"`
	Session string           `json:"session"`
}

func (a pollAnswer) ids() []int64 {
	ids := make([]int64, len(a.Events))
	for i, m := range a.Events {
		ids[i] = m.ID
	}
	return ids
}

// pollClient has a timeout, so that a poll the server wrongly holds fails
// the test instead of hanging it.
var pollClient = &http.Client{Timeout: 20 * time.Second}

// pollResp is one raw answer of /api/poll.
type pollResp struct {
	status int
	header http.Header
	body   []byte
}

// pollGet sends GET /api/poll?query with optional headers.
func (n *node) pollGet(query string, hdr ...string) (pollResp, error) {
	req, err := http.NewRequest("GET", n.ts.URL+"/api/poll?"+query, nil)
	if err != nil {
		return pollResp{}, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := pollClient.Do(req)
	if err != nil {
		return pollResp{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return pollResp{resp.StatusCode, resp.Header, b}, err
}

// poll answers a poll, failing the test unless it is a 200 JSON answer.
func (n *node) poll(query string) pollAnswer {
	n.t.Helper()
	r, err := n.pollGet(query)
	if err != nil {
		n.t.Fatalf("poll %q: %v", query, err)
	}
	a, err := r.answer()
	if err != nil {
		n.t.Fatalf("poll %q: %v", query, err)
	}
	return a
}

func (r pollResp) answer() (pollAnswer, error) {
	var a pollAnswer
	if r.status != http.StatusOK {
		return a, fmt.Errorf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		return a, fmt.Errorf("Content-Type %q", ct)
	}
	if err := json.Unmarshal(r.body, &a); err != nil {
		return a, fmt.Errorf("answer %q: %v", r.body, err)
	}
	if a.Events == nil {
		return a, fmt.Errorf(`answer %q has no "events" array`, r.body)
	}
	return a, nil
}

// pollResult is the outcome of a poll run in the background.
type pollResult struct {
	a   pollAnswer
	err error
}

// pollAsync starts a poll in the background; receive its result from the
// channel. Use with n.awaitPollers to know when it is held.
func (n *node) pollAsync(query string) <-chan pollResult {
	ch := make(chan pollResult, 1)
	go func() {
		r, err := n.pollGet(query)
		if err == nil {
			var a pollAnswer
			a, err = r.answer()
			ch <- pollResult{a, err}
			return
		}
		ch <- pollResult{err: err}
	}()
	return ch
}

// awaitPollers waits until at least k polls are held by the server.
func (n *node) awaitPollers(k int) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.srv.AwaitPollers(ctx, k); err != nil {
		n.t.Fatalf("waiting for %d held polls (%d held): %v", k, n.srv.Pollers(), err)
	}
}

// result receives a background poll's answer.
func result(t *testing.T, ch <-chan pollResult) pollAnswer {
	t.Helper()
	r := <-ch // bounded by pollClient's timeout
	if r.err != nil {
		t.Fatalf("poll: %v", r.err)
	}
	return r.a
}

// apiErrorCode decodes an API error body.
func apiErrorCode(body []byte) string {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Code
}

// do sends a request with a method, optional body and header pairs.
func (n *node) do(method, path, body string, hdr ...string) (*http.Response, []byte) {
	n.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, n.ts.URL+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := pollClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
