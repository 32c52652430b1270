package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/presence"
	"github.com/parley-chat/parley/server"
)

// startCluster starts n nodes sharing a fresh PostgreSQL database and a
// NATS subject of their own, on the NATS server at natsURL.
func startCluster(t *testing.T, n int, natsURL string) []*node {
	t.Helper()
	db := servicetest.PostgresDB(t)
	cluster := servicetest.Subject()
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = startNode(t, server.Config{
			DB:      db,
			Broker:  natsURL,
			Cluster: cluster,
			Node:    fmt.Sprintf("node%c", 'A'+i),
		})
	}
	return nodes
}

// Concurrent posters on three nodes; every subscriber on every node sees
// the store's order, with no gaps and no duplicates (DESIGN invariant 2).
func TestClusterOrderingAcrossNodes(t *testing.T) {
	nodes := startCluster(t, 3, servicetest.NATS(t))
	createRoom(t, nodes[0], "b")
	var subs []*sseClient
	for _, n := range nodes {
		subs = append(subs, n.subscribe("rooms=lobby,b", ""), n.subscribe("rooms=b,lobby", ""))
	}
	const perNode, postersPerNode = 40, 2
	var wg sync.WaitGroup
	for i, n := range nodes {
		for p := range postersPerNode {
			wg.Go(func() {
				room := []string{"lobby", "b"}[p%2]
				for k := range perNode / postersPerNode {
					n.post(room, fmt.Sprintf("n%dp%d", i, p), strconv.Itoa(k))
				}
			})
		}
	}
	wg.Wait()

	storeOrder := historyIDs(t, nodes[1], "lobby", "b")
	if len(storeOrder) != len(nodes)*perNode {
		t.Fatalf("store holds %d messages, want %d", len(storeOrder), len(nodes)*perNode)
	}
	for i, c := range subs {
		var got []int64
		for range storeOrder {
			got = append(got, c.next(10*time.Second).id)
		}
		if !slices.Equal(got, storeOrder) {
			t.Errorf("subscriber %d (node %c) order differs from the store's:\n got %v\nwant %v", i, 'A'+i/2, got, storeOrder)
		}
	}
}

// Disconnect from node A, post through node B, reconnect to node C with
// Last-Event-ID: exactly the missed messages, then live ones from any
// node. A long-poll on C with the same cursor gets the same.
func TestClusterResumeOnAnyNode(t *testing.T) {
	nodes := startCluster(t, 3, servicetest.NATS(t))
	a, b, c := nodes[0], nodes[1], nodes[2]

	sa := a.subscribe("rooms=lobby", "")
	seen := b.post("lobby", "ada", "seen on A")
	if ev := sa.next(5 * time.Second); ev.id != seen.ID {
		t.Fatalf("A got id %d, want %d", ev.id, seen.ID)
	}
	sa.close()

	var missed []int64
	for i := range 5 {
		missed = append(missed, b.post("lobby", "bob", fmt.Sprintf("missed %d", i)).ID)
	}
	sc := c.subscribe("rooms=lobby", itoa(seen.ID))
	var got []int64
	for range missed {
		got = append(got, sc.next(5*time.Second).id)
	}
	if !slices.Equal(got, missed) {
		t.Fatalf("resume on C got %v, want %v", got, missed)
	}
	live := a.post("lobby", "ada", "live from A")
	if ev := sc.next(5 * time.Second); ev.id != live.ID {
		t.Fatalf("after resume C got id %d, want the live message %d (a duplicate or gap)", ev.id, live.ID)
	}

	// Long-polling resumes the same way, and a held poll on C is woken
	// by a post on A.
	p := c.poll(fmt.Sprintf("rooms=lobby&cursor=%d", seen.ID))
	if want := append(slices.Clone(missed), live.ID); !slices.Equal(p.ids(), want) {
		t.Fatalf("poll on C from %d got %v, want %v", seen.ID, p.ids(), want)
	}
	held := c.pollAsync(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=30&session=%s", p.Cursor, p.Session))
	c.awaitPollers(1)
	next := a.post("lobby", "ada", "wakes the poll on C")
	if got := result(t, held).ids(); !slices.Equal(got, []int64{next.ID}) {
		t.Fatalf("held poll on C got %v, want [%d]", got, next.ID)
	}
}

// failing returns what /healthz names as failing.
func failing(h map[string]any) map[string]any {
	f, _ := h["failing"].(map[string]any)
	return f
}

// health reads /healthz.
func health(t *testing.T, n *node) (int, map[string]any) {
	t.Helper()
	status, body := n.get("/healthz")
	var h map[string]any
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("/healthz body %q: %v", body, err)
	}
	return status, h
}

// A node cut off from NATS reports unhealthy, keeps delivering (its own
// posts at once, the others' from the store), and catches up when NATS
// returns.
func TestClusterSurvivesLosingNATS(t *testing.T) {
	nats := servicetest.PrivateNATS(t)
	nodes := startCluster(t, 2, nats.URL())
	a, b := nodes[0], nodes[1]
	sa, sb := a.subscribe("rooms=lobby", ""), b.subscribe("rooms=lobby", "")
	for _, n := range nodes {
		// Healthy says so and nothing else.
		if status, h := health(t, n); status != http.StatusOK || len(h) != 1 || h["status"] != "ok" {
			t.Fatalf("healthy node: /healthz %d %v, want 200 {status: ok}", status, h)
		}
	}

	nats.Stop()
	for _, n := range nodes {
		waitFor(t, "/healthz to report the lost broker", func() bool {
			status, _ := health(t, n)
			return status == http.StatusServiceUnavailable
		})
		if _, h := health(t, n); h["status"] != "unavailable" || failing(h)["broker"] == nil || failing(h)["store"] != nil {
			t.Errorf("node cut off from NATS: /healthz %v, want the broker named as failing, the store not", h)
		}
	}
	during := a.post("lobby", "ada", "while NATS is down")
	if ev := sa.next(5 * time.Second); ev.id != during.ID {
		t.Fatalf("A's own subscriber got %d, want %d", ev.id, during.ID)
	}
	if ev := sb.next(5 * time.Second); ev.id != during.ID {
		t.Fatalf("B's subscriber got %d, want %d (read from the store during the outage)", ev.id, during.ID)
	}
	fams := metricstest.Scrape(t, b.srv.MetricsHandler())
	if v, ok := fams.Value("parley_cluster_broker_connected", nil); !ok || v != 0 {
		t.Errorf("B cut off from NATS: parley_cluster_broker_connected = %v (%v), want 0", v, ok)
	}
	if v, _ := fams.Value("parley_cluster_gap_fills_total", nil); v < 1 {
		t.Errorf("B read A's message from the store: parley_cluster_gap_fills_total = %v, want at least 1", v)
	}

	nats.Start()
	for _, n := range nodes {
		waitFor(t, "/healthz to recover", func() bool {
			status, _ := health(t, n)
			return status == http.StatusOK
		})
	}
	if v, _ := metricstest.Scrape(t, a.srv.MetricsHandler()).Value("parley_cluster_broker_connected", nil); v != 1 {
		t.Errorf("A back on NATS: parley_cluster_broker_connected = %v, want 1", v)
	}
	after := b.post("lobby", "bob", "after NATS returned")
	for name, s := range map[string]*sseClient{"A": sa, "B": sb} {
		if ev := s.next(5 * time.Second); ev.id != after.ID {
			t.Fatalf("%s's subscriber got %d, want %d", name, ev.id, after.ID)
		}
	}
}

func memberNames(people []presence.Person) []string {
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = p.Name
	}
	return out
}

// nextNotice reads c until a join or leave notice.
func nextNotice(t *testing.T, c *sseClient) parley.Message {
	t.Helper()
	for {
		m := c.next(10 * time.Second).message(t)
		if m.Kind == parley.KindJoin || m.Kind == parley.KindLeave {
			return m
		}
	}
}

// The member list is the union over the nodes, and a person is one member
// of the cluster: their second session on another node neither joins nor,
// when it ends, leaves.
func TestClusterPresenceIsOneUnion(t *testing.T) {
	nodes := startCluster(t, 2, servicetest.NATS(t))
	a, b := nodes[0], nodes[1]
	watch := a.subscribe("rooms=lobby", "")
	remoteHas := func(n *node, want ...string) func() bool {
		return func() bool { return slices.Equal(memberNames(n.srv.RemoteMembers("lobby")), want) }
	}

	adaB := b.subscribe("rooms=lobby&name=ada", "")
	if m := nextNotice(t, watch); m.Kind != parley.KindJoin || m.From != "ada" {
		t.Fatalf("notice %+v, want ada's join", m)
	}
	waitFor(t, "A to hear that ada is on B", remoteHas(a, "ada"))
	adaA := a.subscribe("rooms=lobby&name=ada", "")
	a.subscribe("rooms=lobby&name=bob", "")
	if m := nextNotice(t, watch); m.Kind != parley.KindJoin || m.From != "bob" {
		t.Fatalf("notice %+v, want bob's join (ada's second session must not join again)", m)
	}
	waitFor(t, "B to hear that ada and bob are on A", remoteHas(b, "ada", "bob"))
	for name, n := range map[string]*node{"A": a, "B": b} {
		_, body := n.get("/api/rooms/lobby/members")
		if want := `{"members":[{"name":"ada","guest":true},{"name":"bob","guest":true}]}` + "\n"; string(body) != want {
			t.Errorf("members on %s = %s, want %s", name, body, want)
		}
	}

	adaB.close()
	waitFor(t, "A to hear that ada left B", remoteHas(a))
	adaA.close()
	if m := nextNotice(t, watch); m.Kind != parley.KindLeave || m.From != "ada" {
		t.Fatalf("notice %+v, want ada's leave once her last session ended", m)
	}
	marker := a.post("lobby", "cy", "marker")
	for {
		m := watch.next(10 * time.Second).message(t)
		if m.ID == marker.ID {
			break
		}
		if m.Kind == parley.KindJoin || m.Kind == parley.KindLeave {
			t.Fatalf("extra notice %+v: ada left once", m)
		}
	}
}

// A node that loses PostgreSQL reports unhealthy and refuses posts with
// 503, but its open streams keep delivering what other nodes post. Cut
// off from NATS as well, it misses what others post; once both return,
// its subscribers get exactly that, in order, from the store.
func TestClusterSurvivesLosingPostgres(t *testing.T) {
	natsURL := servicetest.NATS(t)
	db := servicetest.PostgresDB(t)
	pgProxy := servicetest.StartProxy(t, servicetest.PostgresAddr(t, db))
	natsProxy := servicetest.StartProxy(t, strings.TrimPrefix(natsURL, "nats://"))
	cluster := servicetest.Subject()
	a := startNode(t, server.Config{DB: servicetest.ThroughProxy(t, db, pgProxy.Addr()), Broker: "nats://" + natsProxy.Addr(), Cluster: cluster, Node: "a"})
	b := startNode(t, server.Config{DB: db, Broker: natsURL, Cluster: cluster, Node: "b"})
	sa := a.subscribe("rooms=lobby", "")

	pgProxy.Cut()
	waitFor(t, "A's /healthz to report the lost store", func() bool {
		status, h := health(t, a)
		return status == http.StatusServiceUnavailable && failing(h)["store"] != nil
	})
	if status, body := a.postRaw("lobby", "application/json", `{"text":"refused","name":"ada"}`); status != http.StatusServiceUnavailable || apiErrorCode(body) != "unavailable" {
		t.Errorf("post on A without its store: %d %s, want 503 unavailable", status, body)
	}
	viaNATS := b.post("lobby", "bob", "reaches A over NATS")
	if ev := sa.next(5 * time.Second); ev.id != viaNATS.ID {
		t.Fatalf("A's subscriber got %d, want %d", ev.id, viaNATS.ID)
	}

	natsProxy.Cut()
	var missed []int64
	for i := range 3 {
		missed = append(missed, b.post("lobby", "bob", fmt.Sprintf("while A is cut off %d", i)).ID)
	}
	pgProxy.Restore()
	natsProxy.Restore()
	waitFor(t, "A's /healthz to recover", func() bool {
		status, _ := health(t, a)
		return status == http.StatusOK
	})
	live := a.post("lobby", "ada", "A is back")
	want := append(missed, live.ID)
	var got []int64
	for range want {
		got = append(got, sa.next(10*time.Second).id)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("A's subscriber after the outage got %v, want %v", got, want)
	}
}
