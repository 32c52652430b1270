package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

const (
	posters      = 16
	postsEach    = 20
	maxBatchSize = 3
)

// postConcurrently runs posters goroutines, each appending postsEach
// batches of 1 to maxBatchSize messages to lobby or "a". It returns every
// appended message. Each poster checks that its own IDs increase.
func postConcurrently(t *testing.T, s parley.Store) []*parley.Message {
	t.Helper()
	var (
		mu  sync.Mutex
		all []*parley.Message
		wg  sync.WaitGroup
	)
	c := ctx(t)
	errs := make(chan error, posters)
	for p := range posters {
		wg.Go(func() {
			var prev int64
			for i := range postsEach {
				batch := make([]*parley.Message, 1+(p+i)%maxBatchSize)
				for j := range batch {
					room := "lobby"
					if (p+j)%2 == 1 {
						room = "a"
					}
					batch[j] = msg(room, fmt.Sprintf("poster %d post %d.%d", p, i, j))
				}
				if err := s.Append(c, batch); err != nil {
					errs <- fmt.Errorf("poster %d: Append: %w", p, err)
					return
				}
				for _, m := range batch {
					if m.ID <= prev {
						errs <- fmt.Errorf("poster %d: got ID %d after its own ID %d", p, m.ID, prev)
						return
					}
					prev = m.ID
				}
				mu.Lock()
				all = append(all, batch...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	slices.SortFunc(all, func(a, b *parley.Message) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for i := 1; i < len(all); i++ {
		if all[i].ID == all[i-1].ID {
			t.Fatalf("ID %d was assigned twice: %q and %q", all[i].ID, all[i-1].Text, all[i].Text)
		}
	}
	return all
}

func testConcurrentAppend(t *testing.T, s parley.Store) {
	createRooms(t, s, "a")
	all := postConcurrently(t, s)

	// Read everything back in pages: in ID order, nothing missing.
	got := readAll(t, s, []string{"lobby", "a"}, 100)
	sameMessages(t, "After over everything appended concurrently", got, all)
	if id, err := s.LastID(ctx(t)); err != nil || id != all[len(all)-1].ID {
		t.Fatalf("LastID = %d, %v; want %d", id, err, all[len(all)-1].ID)
	}
}

// testTailWhileAppending follows the log with After while posters append,
// the way an SSE stream catches up. IDs must increase in commit order:
// once a reader has seen ID n, no message with an ID below n may appear
// later, or the reader, whose cursor has moved past it, would miss it.
func testTailWhileAppending(t *testing.T, s parley.Store) {
	createRooms(t, s, "a")
	rooms := []string{"lobby", "a"}

	done := make(chan struct{})
	tailed := make(chan []parley.Message, 1)
	tailErr := make(chan error, 1)
	c := ctx(t)
	go func() {
		var seen []parley.Message
		cursor := int64(0)
		finishing := false
		for {
			page, err := s.After(c, rooms, cursor, 50)
			if err == nil {
				err = checkPage(page, cursor, 50)
			}
			if err != nil {
				tailErr <- fmt.Errorf("After(%q, %d, 50): %w", rooms, cursor, err)
				return
			}
			seen = append(seen, page...)
			if len(page) > 0 {
				cursor = page[len(page)-1].ID
				continue
			}
			if finishing {
				tailed <- seen
				return
			}
			select {
			case <-done:
				// One more pass after the posters are done.
				finishing = true
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}()

	all := postConcurrently(t, s)
	close(done)
	var seen []parley.Message
	select {
	case seen = <-tailed:
	case err := <-tailErr:
		t.Fatalf("tailing: %v", err)
	}
	sameMessages(t, "messages seen by a reader tailing with After", seen, all)
}
