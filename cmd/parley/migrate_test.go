package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/servicetest"
)

// The move, end to end as the docs tell it: a site on SQLite with a
// logged-in user and a client that has read up to some message; the server
// stops; "parley migrate" copies the database to PostgreSQL; a cluster
// node starts on it. The client resumes there with its old Last-Event-ID
// and gets exactly what it missed, then live messages, with no duplicate;
// the user's login cookie still works.
func TestMigrateThenResumeOnTheCluster(t *testing.T) {
	pg := servicetest.PostgresDB(t)
	natsURL := servicetest.NATS(t)
	lite := filepath.Join(t.TempDir(), "parley.db")
	if _, _, err := runUser(t, "a good long password\n", "add", "ada", "--db", lite); err != nil {
		t.Fatal(err)
	}

	url, stop, errc := startServe(t, "--db", lite)
	cookie := login(t, url, "ada", "a good long password")
	var ids []int64
	for i := range 5 {
		ids = append(ids, postLine(t, url, cookie, "line "+strconv.Itoa(i)))
	}
	seen, missed := ids[1], ids[2:] // the client read up to the second line
	stop()
	if err := <-errc; err != nil {
		t.Fatalf("serve on SQLite: %v", err)
	}

	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"migrate", "--from", lite, "--to", pg}, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "copied 5 messages") {
		t.Errorf("migrate said %q, want it to count 5 messages", out.String())
	}
	// Run again, it refuses: the target holds the copy now.
	if err := run(t.Context(), []string{"migrate", "--from", lite, "--to", pg}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("second migrate: %v, want a refusal naming --replace", err)
	}

	url, stop, errc = startServe(t, "--db", pg, "--broker", natsURL, "--cluster", "move-"+strconv.FormatInt(time.Now().UnixNano(), 36), "--node", "a")
	defer func() {
		stop()
		<-errc
	}()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/api/events?rooms=lobby", nil)
	req.Header.Set("Last-Event-ID", strconv.FormatInt(seen, 10)) // a reader with no name: no join notice of its own
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resume on the cluster: %s", resp.Status)
	}
	events := sseIDs(resp)
	var got []int64
	for range missed {
		got = append(got, next(t, events))
	}
	if !slices.Equal(got, missed) {
		t.Fatalf("resumed with Last-Event-ID %d and got %v, want exactly %v", seen, got, missed)
	}
	live := postLine(t, url, cookie, "first line on the cluster")
	if id := next(t, events); id != live {
		t.Fatalf("after the missed lines got %d, want the live line %d (a duplicate or a gap)", id, live)
	}
	if live <= ids[len(ids)-1] {
		t.Errorf("the first message on PostgreSQL got ID %d, not after the copied %d", live, ids[len(ids)-1])
	}
}

func login(t *testing.T, url, name, password string) *http.Cookie {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	resp, err := http.Post(url+"/api/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return c
		}
	}
	t.Fatalf("login: %s and no cookie", resp.Status)
	return nil
}

// postLine posts as the cookie's user (which proves the login session
// is still good) and returns the message ID.
func postLine(t *testing.T, url string, cookie *http.Cookie, text string) int64 {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", url+"/api/rooms/lobby/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		ID   int64
		From string
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusCreated || m.From != "ada" {
		t.Fatalf("post %q as ada: %s %+v %v", text, resp.Status, m, err)
	}
	return m.ID
}

// sseIDs sends the id: of each event of the stream.
func sseIDs(resp *http.Response) <-chan int64 {
	ch := make(chan int64, 16)
	go func() {
		defer close(ch)
		r := bufio.NewScanner(resp.Body)
		for r.Scan() {
			if v, ok := strings.CutPrefix(r.Text(), "id: "); ok {
				id, _ := strconv.ParseInt(v, 10, 64)
				ch <- id
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan int64) int64 {
	t.Helper()
	select {
	case id, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		return id
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return 0
}
