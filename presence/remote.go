package presence

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Snapshot is one node's presence, as it announces it to the others of a
// cluster: every room with the people present in it on that node. Gone
// announces a clean shutdown.
type Snapshot struct {
	Node  string              `json:"node"`
	Rooms map[string][]Person `json:"rooms,omitempty"`
	Gone  bool                `json:"gone,omitempty"`
}

// Remote holds the presence the other nodes of a cluster announce. Nodes
// announce themselves regularly; one not heard from within the timeout
// has died (or lost the broker), and its people lapse.
type Remote struct {
	self    string
	timeout time.Duration

	mu    sync.Mutex
	nodes map[string]*remoteNode
}

type remoteNode struct {
	rooms map[string][]Person
	seen  time.Time
}

// NewRemote returns an empty view for the node named self; a node silent
// for longer than timeout lapses.
func NewRemote(self string, timeout time.Duration) *Remote {
	return &Remote{self: self, timeout: timeout, nodes: make(map[string]*remoteNode)}
}

// Update records a node's announcement, received at now. The node's own
// announcements are ignored.
func (r *Remote) Update(s Snapshot, now time.Time) {
	if s.Node == "" || s.Node == r.self {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.Gone {
		delete(r.nodes, s.Node)
		return
	}
	r.nodes[s.Node] = &remoteNode{rooms: s.Rooms, seen: now}
}

// Present reports whether the named user is present in room on another
// node.
func (r *Remote) Present(room, name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.presentLocked(room, name)
}

func (r *Remote) presentLocked(room, name string) bool {
	for _, n := range r.nodes {
		if slices.ContainsFunc(n.rooms[room], func(p Person) bool { return p.Name == name }) {
			return true
		}
	}
	return false
}

// Members returns the people present in room on other nodes, ordered by
// name, each once.
func (r *Remote) Members(room string) []Person {
	r.mu.Lock()
	defer r.mu.Unlock()
	var people []Person
	for _, n := range r.nodes {
		people = append(people, n.rooms[room]...)
	}
	return SortUnique(people)
}

// Nodes returns the names of the other nodes heard from, sorted.
func (r *Remote) Nodes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.nodes))
	for name := range r.nodes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Touch marks every known node as heard from at now. A node that was cut
// off from the others itself calls it instead of Expire: it heard no one,
// which says nothing about them, and they get a full timeout to be heard
// again after it reconnects.
func (r *Remote) Touch(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.nodes {
		n.seen = now
	}
}

// Expire drops the nodes not heard from within the timeout before now.
// It returns the leaves that causes: people present on a dropped node and
// on no remaining other node (the caller checks its own node), and
// whether this node is the one that records them (the live node with the
// smallest name), so that the cluster records each leave once.
func (r *Remote) Expire(now time.Time) (leaves []Change, recorder bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var dead []*remoteNode
	for name, n := range r.nodes {
		if now.Sub(n.seen) > r.timeout {
			dead = append(dead, n)
			delete(r.nodes, name)
		}
	}
	recorder = true
	for name := range r.nodes {
		if name < r.self {
			recorder = false
		}
	}
	seen := make(map[[2]string]bool)
	for _, n := range dead {
		for room, people := range n.rooms {
			for _, p := range people {
				key := [2]string{room, p.Name}
				if seen[key] || r.presentLocked(room, p.Name) {
					continue
				}
				seen[key] = true
				leaves = append(leaves, Change{Room: room, Person: p})
			}
		}
	}
	slices.SortFunc(leaves, func(a, b Change) int {
		if c := strings.Compare(a.Room, b.Room); c != 0 {
			return c
		}
		return strings.Compare(a.Person.Name, b.Person.Name)
	})
	return leaves, recorder
}

// SortUnique sorts people by name and keeps one entry per name.
func SortUnique(people []Person) []Person {
	slices.SortFunc(people, func(a, b Person) int { return strings.Compare(a.Name, b.Name) })
	return slices.CompactFunc(people, func(a, b Person) bool { return a.Name == b.Name })
}
