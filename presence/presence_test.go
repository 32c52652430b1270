package presence

import (
	"fmt"
	"sync"
	"testing"
)

func TestManyTabsAreOneMember(t *testing.T) {
	tr := New()
	ada := Person{Name: "ada"}
	if ch := tr.Set("tab1", ada, []string{"lobby", "dev"}); len(ch) != 2 || !ch[0].Joined || !ch[1].Joined {
		t.Fatalf("first tab: %+v, want two joins", ch)
	}
	if ch := tr.Set("tab2", ada, []string{"lobby"}); len(ch) != 0 {
		t.Fatalf("second tab in the same room: %+v, want no change", ch)
	}
	if got := tr.Members("lobby"); len(got) != 1 || got[0] != ada {
		t.Fatalf("members = %+v, want ada once", got)
	}
	if ch := tr.Remove("tab1"); len(ch) != 1 || ch[0].Room != "dev" || ch[0].Joined {
		t.Fatalf("closing tab1: %+v, want ada leaving dev only", ch)
	}
	if ch := tr.Remove("tab2"); len(ch) != 1 || ch[0].Room != "lobby" || ch[0].Joined {
		t.Fatalf("closing tab2: %+v, want ada leaving lobby", ch)
	}
	if tr.Remove("tab2") != nil || tr.Sessions() != 0 || len(tr.rooms) != 0 {
		t.Fatal("state left behind after every session ended")
	}
}

func TestSetMovesBetweenRooms(t *testing.T) {
	tr := New()
	bob := Person{Name: "bob", Guest: true}
	tr.Set("s", bob, []string{"a", "b"})
	ch := tr.Set("s", bob, []string{"b", "c"})
	if len(ch) != 2 || ch[0] != (Change{Room: "a", Person: bob}) || ch[1] != (Change{Room: "c", Person: bob, Joined: true}) {
		t.Fatalf("changes = %+v, want leave a then join c", ch)
	}
	if !tr.Present("c", "bob") || tr.Present("a", "bob") {
		t.Error("presence does not follow the move")
	}
}

func TestConcurrentSessions(t *testing.T) {
	tr := New()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			id := fmt.Sprint(i)
			tr.Set(id, Person{Name: fmt.Sprint("u", i%5)}, []string{"lobby"})
			tr.Remove(id)
		})
	}
	wg.Wait()
	if n := len(tr.Members("lobby")); n != 0 {
		t.Errorf("%d members left after all sessions ended", n)
	}
}
