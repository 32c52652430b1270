package presence

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func names(people []Person) []string {
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = p.Name
	}
	return out
}

func TestRemoteMembersAreTheUnionOfOtherNodes(t *testing.T) {
	r := NewRemote("a", time.Second)
	r.Update(Snapshot{Node: "b", Rooms: map[string][]Person{"lobby": {{Name: "bob"}, {Name: "ada"}}}}, t0)
	r.Update(Snapshot{Node: "c", Rooms: map[string][]Person{"lobby": {{Name: "ada"}, {Name: "cy", Guest: true}}}}, t0)
	r.Update(Snapshot{Node: "a", Rooms: map[string][]Person{"lobby": {{Name: "self"}}}}, t0) // own: ignored
	if got := names(r.Members("lobby")); !slices.Equal(got, []string{"ada", "bob", "cy"}) {
		t.Errorf("Members(lobby) = %q, want [ada bob cy]", got)
	}
	if !r.Present("lobby", "cy") || r.Present("lobby", "self") || r.Present("other", "ada") {
		t.Error("Present disagrees with the snapshots")
	}
	// A newer snapshot replaces the node's old one.
	r.Update(Snapshot{Node: "b", Rooms: map[string][]Person{}}, t0)
	if got := names(r.Members("lobby")); !slices.Equal(got, []string{"ada", "cy"}) {
		t.Errorf("after b's update Members(lobby) = %q, want [ada cy]", got)
	}
	r.Update(Snapshot{Node: "c", Gone: true}, t0)
	if got := r.Members("lobby"); len(got) != 0 {
		t.Errorf("after c left cleanly Members(lobby) = %q, want none", names(got))
	}
}

func TestRemoteExpireReportsLeavesOnce(t *testing.T) {
	r := NewRemote("b", time.Second)
	r.Update(Snapshot{Node: "a", Rooms: map[string][]Person{"lobby": {{Name: "ada"}}}}, t0) // a stays alive
	r.Update(Snapshot{Node: "c", Rooms: map[string][]Person{
		"lobby": {{Name: "ada"}, {Name: "cy"}},
		"dev":   {{Name: "cy"}},
	}}, t0)
	r.Update(Snapshot{Node: "a", Rooms: map[string][]Person{"lobby": {{Name: "ada"}}}}, t0.Add(900*time.Millisecond))

	if leaves, _ := r.Expire(t0.Add(time.Second)); len(leaves) != 0 {
		t.Fatalf("nothing has timed out yet, got leaves %v", leaves)
	}
	leaves, recorder := r.Expire(t0.Add(1500 * time.Millisecond))
	want := []Change{{Room: "dev", Person: Person{Name: "cy"}}, {Room: "lobby", Person: Person{Name: "cy"}}}
	if !slices.Equal(leaves, want) {
		t.Errorf("leaves = %v, want %v (ada is still on node a)", leaves, want)
	}
	if recorder {
		t.Error("node b is the recorder, but live node a has a smaller name")
	}
	if got := r.Nodes(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Nodes() = %q, want [a]", got)
	}
	if leaves, _ := r.Expire(t0.Add(1600 * time.Millisecond)); len(leaves) != 0 {
		t.Errorf("a second Expire reported %v again", leaves)
	}
	_, recorder = r.Expire(t0.Add(time.Hour)) // a times out too
	if !recorder {
		t.Error("alone, node b must record the leaves")
	}
}

func TestRemoteTouchKeepsNodesThroughOwnOutage(t *testing.T) {
	r := NewRemote("a", time.Second)
	r.Update(Snapshot{Node: "b", Rooms: map[string][]Person{"lobby": {{Name: "bob"}}}}, t0)
	r.Touch(t0.Add(5 * time.Second)) // a was cut off; it heard no one
	if leaves, _ := r.Expire(t0.Add(5500 * time.Millisecond)); len(leaves) != 0 {
		t.Errorf("leaves %v right after a's own outage; b gets a full timeout", leaves)
	}
	if leaves, _ := r.Expire(t0.Add(7 * time.Second)); len(leaves) != 1 {
		t.Errorf("leaves %v; b, still silent a timeout after the outage, lapses", leaves)
	}
}
