package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

func eventsReceived(t *testing.T, n *node) float64 {
	t.Helper()
	v, ok := metricstest.Scrape(t, n.srv.MetricsHandler()).Value("parley_cluster_events_received_total", nil)
	if !ok {
		t.Fatal("no parley_cluster_events_received_total")
	}
	return v
}

// Routed by interest, a node receives over NATS only the rooms its
// subscribers follow: A serves ra, B serves rb, C serves nothing and
// posts to both.
func TestClusterRoutesByInterest(t *testing.T) {
	nodes := startCluster(t, 3, servicetest.NATS(t))
	a, b, c := nodes[0], nodes[1], nodes[2]
	createRoom(t, a, "ra")
	createRoom(t, a, "rb")
	sa, sb := a.subscribe("rooms=ra", ""), b.subscribe("rooms=rb", "")

	var ra, rb []int64
	for i := range 10 {
		ra = append(ra, c.post("ra", "cy", fmt.Sprint("ra ", i)).ID)
		rb = append(rb, c.post("rb", "cy", fmt.Sprint("rb ", i)).ID)
	}
	expectIDs(t, "A", sa, ra, 5*time.Second)
	expectIDs(t, "B", sb, rb, 5*time.Second)
	for _, n := range []struct {
		name string
		n    *node
		want float64
	}{{"A", a, 10}, {"B", b, 10}, {"C", c, 0}} {
		if got := eventsReceived(t, n.n); got != n.want {
			t.Errorf("node %s received %v events over NATS, want %v (only the room its subscribers follow)", n.name, got, n.want)
		}
	}
}

// A node that starts following a room while it is being posted to, on
// another node, delivers every message after the client's cursor exactly
// once and in order; a long-poll for a room the node never followed
// resumes from the store and is woken by the next post. The node either
// follows another room already, or nothing at all (detached: it hears
// nothing of the cluster until this subscriber).
func TestClusterFollowsARoomMidStream(t *testing.T) {
	t.Run("following another room", func(t *testing.T) { testFollowsARoomMidStream(t, true) })
	t.Run("following nothing", func(t *testing.T) { testFollowsARoomMidStream(t, false) })
}

func testFollowsARoomMidStream(t *testing.T, busy bool) {
	nodes := startCluster(t, 2, servicetest.NATS(t))
	a, b := nodes[0], nodes[1]
	createRoom(t, a, "late")
	createRoom(t, a, "noise")
	if busy {
		b.subscribe("rooms=lobby", "") // B follows something else already
	} else if v, _ := metricstest.Scrape(t, b.srv.MetricsHandler()).Value("parley_cluster_shards_followed", nil); v != 0 {
		t.Fatalf("B follows %v shards before its first subscriber, want 0", v)
	}

	const posts = 60
	var (
		mu    sync.Mutex
		late  []int64
		noise []int64
	)
	halfway := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range posts {
			if i == posts/3 {
				close(halfway)
			}
			room := []string{"late", "noise"}[i%2]
			id := a.post(room, "ada", fmt.Sprint(room, i)).ID
			mu.Lock()
			if room == "late" {
				late = append(late, id)
			} else {
				noise = append(noise, id)
			}
			mu.Unlock()
		}
	})
	<-halfway
	mu.Lock()
	cursor := late[0]
	mu.Unlock()
	sl := b.subscribe("rooms=late", itoa(cursor))
	wg.Wait()

	want := late[1:]
	var got []int64
	for range want {
		got = append(got, sl.next(10*time.Second).id)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("B's new subscriber from %d got %v, want %v", cursor, got, want)
	}
	marker := a.post("late", "ada", "marker")
	if ev := sl.next(5 * time.Second); ev.id != marker.ID {
		t.Fatalf("after the stream B's subscriber got %d, want the marker %d (a duplicate?)", ev.id, marker.ID)
	}

	p := b.poll(fmt.Sprintf("rooms=noise&cursor=%d", noise[0]))
	if !slices.Equal(p.ids(), noise[1:]) {
		t.Fatalf("poll on B from %d got %v, want %v", noise[0], p.ids(), noise[1:])
	}
	held := b.pollAsync(fmt.Sprintf("rooms=noise&cursor=%d&timeout=30&session=%s", p.Cursor, p.Session))
	b.awaitPollers(1)
	next := a.post("noise", "ada", "wakes the poll on B")
	if got := result(t, held).ids(); !slices.Equal(got, []int64{next.ID}) {
		t.Fatalf("held poll on B got %v, want [%d]", got, next.ID)
	}
}

// A direct message posted on one node reaches the recipient's stream on
// another node that follows none of the sender's rooms: user topics are
// routed like rooms.
func TestClusterRoutesDirectMessagesByUserTopic(t *testing.T) {
	db, natsURL, cluster := servicetest.PostgresDB(t), servicetest.NATS(t), servicetest.Subject()
	start := func(name string) *node {
		return startNode(t, server.Config{DB: db, Broker: natsURL, Cluster: cluster, Node: name, Registration: true})
	}
	a, b := start("nodeA"), start("nodeB")
	for _, u := range []string{"ada", "bob"} {
		if resp, body := a.do("POST", "/api/users", `{"name":"`+u+`","password":"`+password+`"}`, asJSON...); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registering %s: %d %s", u, resp.StatusCode, body)
		}
	}
	ada, bob := a.login("ada"), a.login("bob")
	createRoom(t, a, "quiet")
	bobOnB := b.subscribeWith("rooms=quiet", bob...)

	resp, body := a.do("POST", "/api/users/bob/messages", `{"text":"psst"}`, with(ada, asJSON...)...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("DM: %d %s", resp.StatusCode, body)
	}
	var dm parley.Message
	json.Unmarshal(body, &dm)
	for {
		ev := bobOnB.next(5 * time.Second)
		if ev.event != "message" {
			continue
		}
		if m := ev.message(t); m.ID != dm.ID || m.Text != "psst" {
			t.Fatalf("bob on B got %+v, want the DM %d", m, dm.ID)
		}
		break
	}
	if got := eventsReceived(t, b); got != 1 {
		t.Errorf("B received %v events over NATS, want only the DM", got)
	}
}

// A publish to eight rooms in one request is one commit that reaches more
// shards than the store's ring records, so it is announced; single posts
// between them are accounted for by the ring alone. Nodes that follow one
// of the rooms each deliver it completely and in order either way.
func TestClusterRoutesWideAndNarrowBatches(t *testing.T) {
	db, natsURL, cluster := servicetest.PostgresDB(t), servicetest.NATS(t), servicetest.Subject()
	key := servicetest.CreateAPIKey(t, db, "shop")
	var nodes []*node
	for _, name := range []string{"A", "B", "C"} {
		nodes = append(nodes, startNode(t, server.Config{DB: db, Broker: natsURL, Cluster: cluster, Node: name, RoomCreationBurst: 10}))
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	rooms := []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"}
	for _, r := range rooms {
		createRoom(t, a, r)
	}
	sa, sb := a.subscribe("rooms=r0", ""), b.subscribe("rooms=r7", "")

	app := []string{"Authorization", "Bearer " + key, "Content-Type", "application/json"}
	var want0, want7 []int64
	for i := range 10 {
		body := fmt.Sprintf(`{"messages":[{"rooms":["r0","r1","r2","r3","r4","r5","r6","r7"],"text":"wide %d","from":"shop"}]}`, i)
		resp, out := c.do("POST", "/api/publish", body, app...)
		var pub struct{ Messages []parley.Message }
		if err := json.Unmarshal(out, &pub); err != nil || resp.StatusCode != http.StatusCreated || len(pub.Messages) != len(rooms) {
			t.Fatalf("publish to eight rooms: %d %s", resp.StatusCode, out)
		}
		for _, m := range pub.Messages {
			switch m.Room {
			case "r0":
				want0 = append(want0, m.ID)
			case "r7":
				want7 = append(want7, m.ID)
			}
		}
		want0 = append(want0, c.post("r0", "cy", fmt.Sprint("narrow ", i)).ID)
		c.post("r3", "cy", fmt.Sprint("elsewhere ", i))
		want7 = append(want7, c.post("r7", "cy", fmt.Sprint("narrow ", i)).ID)
	}
	expectIDs(t, "r0", sa, want0, 10*time.Second)
	expectIDs(t, "r7", sb, want7, 10*time.Second)
}

// expectIDs reads len(want) events from c, each within wait, and fails
// unless their IDs are want, in order.
func expectIDs(t *testing.T, who string, c *sseClient, want []int64, wait time.Duration) {
	t.Helper()
	var got []int64
	for range want {
		got = append(got, c.next(wait).id)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s's subscriber got %v, want %v", who, got, want)
	}
}
