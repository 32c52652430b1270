package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/store/postgres"
	"github.com/parley-chat/parley/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) parley.Store {
		return open(t, tempDB(t))
	})
}

func msg(room, text string) *parley.Message {
	return &parley.Message{Room: room, Kind: parley.KindMessage, From: "ada", Text: text}
}

// knownVersion is the number of embedded migrations, read from a fresh
// database.
func knownVersion(t *testing.T, dsn string) int {
	t.Helper()
	var v int
	if err := rawConn(t, dsn).QueryRow(t.Context(), `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	dsn := tempDB(t)
	s := open(t, dsn)
	if err := s.CreateRoom(ctx, &parley.Room{Name: "kept", Topic: "still here"}); err != nil {
		t.Fatal(err)
	}
	msgs := []*parley.Message{
		{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "one"},
		{Room: "kept", Kind: parley.KindJoin, From: "bob", Text: "two 🎉"},
	}
	if err := s.Append(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, dsn)
	last, err := s.LastID(ctx)
	if err != nil || last != msgs[1].ID {
		t.Fatalf("LastID after reopen = %d, %v; want %d", last, err, msgs[1].ID)
	}
	got, err := s.After(ctx, []string{"lobby", "kept"}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("After reopen: %d messages, want 2", len(got))
	}
	for i, m := range got {
		w := msgs[i]
		if m.ID != w.ID || m.Room != w.Room || m.Kind != w.Kind || m.From != w.From || m.Text != w.Text || !m.Time.Equal(w.Time) {
			t.Errorf("message %d after reopen = %+v, want %+v", i, m, *w)
		}
	}
	r, err := s.Room(ctx, "kept")
	if err != nil || r.Topic != "still here" {
		t.Fatalf("Room(kept) after reopen = %+v, %v", r, err)
	}
	next := msg("lobby", "three")
	if err := s.Append(ctx, []*parley.Message{next}); err != nil {
		t.Fatal(err)
	}
	if next.ID <= last {
		t.Fatalf("ID after reopen = %d, want > %d", next.ID, last)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := tempDB(t)
	open(t, dsn).Close()
	known := knownVersion(t, dsn)
	newer := known + 6

	if _, err := rawConn(t, dsn).Exec(t.Context(),
		`INSERT INTO schema_version (version, name) VALUES ($1, 'from_the_future.sql')`, newer); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(t.Context(), dsn)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	for _, want := range []string{
		describe(dsn),
		fmt.Sprintf("schema version %d", newer),
		fmt.Sprintf("only up to %d", known),
		"upgrade parley",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestConcurrentOpen starts several nodes on one new database at once: the
// advisory lock makes exactly one of them apply each migration.
func TestConcurrentOpen(t *testing.T) {
	dsn := tempDB(t)
	const nodes = 6
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	stores := make(chan *postgres.Store, nodes)
	for range nodes {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				errs <- err
				return
			}
			stores <- s
		})
	}
	wg.Wait()
	close(errs)
	close(stores)
	for s := range stores {
		s.Close()
	}
	for err := range errs {
		t.Errorf("Open: %v", err)
	}

	conn := rawConn(t, dsn)
	var rows, maxVersion int
	if err := conn.QueryRow(t.Context(), `SELECT count(*), MAX(version) FROM schema_version`).Scan(&rows, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if rows != maxVersion {
		t.Fatalf("schema_version has %d rows for version %d: a migration was recorded twice or skipped", rows, maxVersion)
	}
	s := open(t, dsn) // and once more, with nothing to do
	rooms, err := s.Rooms(t.Context())
	if err != nil || len(rooms) != 1 || rooms[0].Name != parley.DefaultRoom {
		t.Fatalf("Rooms = %+v, %v; want only lobby", rooms, err)
	}
	if v := knownVersion(t, dsn); v != maxVersion {
		t.Fatalf("schema version after reopening = %d, want %d", v, maxVersion)
	}
}

// TestCommitOrderAcrossNodes checks invariant 2 where it is hard: two
// Stores with their own pools, like two nodes, append concurrently to one
// database while a reader on a third follows the log with After, the way a
// stream catches up. The counter hands out IDs without holes (a failed
// batch returns its IDs), so the reader must see every ID, each exactly
// one above its cursor. A hole behind the cursor would mean a message with
// a lower ID committed after a higher one: the reader has moved past it and
// would never deliver it.
func TestCommitOrderAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dsn := tempDB(t)
	nodes := []*postgres.Store{open(t, dsn), open(t, dsn)}
	reader := open(t, dsn)
	for _, r := range []string{"a", "b"} {
		if err := nodes[0].CreateRoom(ctx, &parley.Room{Name: r}); err != nil {
			t.Fatal(err)
		}
	}
	rooms := []string{"lobby", "a", "b"}

	const (
		writers = 8
		batches = 80
	)
	done := make(chan struct{})
	var (
		tailed  = make(chan int64, 1) // how many messages the reader saw
		tailErr = make(chan error, 1)
	)
	go func() {
		var cursor, seen int64
		finishing := false
		for {
			page, err := reader.After(ctx, rooms, cursor, 64)
			if err != nil {
				tailErr <- fmt.Errorf("After(%d): %v", cursor, err)
				return
			}
			for _, m := range page {
				if m.ID != cursor+1 {
					tailErr <- fmt.Errorf("reader at cursor %d next saw ID %d: IDs %d..%d were not visible although a higher one was: they committed out of ID order",
						cursor, m.ID, cursor+1, m.ID-1)
					return
				}
				cursor = m.ID
				seen++
			}
			if len(page) > 0 {
				continue
			}
			if finishing {
				tailed <- seen
				return
			}
			select {
			case <-done:
				finishing = true // one more pass after the writers are done
			default:
				time.Sleep(200 * time.Microsecond)
			}
		}
	}()

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ids   = map[int64]string{}
		errs  = make(chan error, writers)
		total int64
	)
	for w := range writers {
		s := nodes[w%len(nodes)]
		wg.Go(func() {
			for i := range batches {
				batch := make([]*parley.Message, 1+(w*7+i)%8)
				for j := range batch {
					batch[j] = msg(rooms[(w+i+j)%len(rooms)], fmt.Sprintf("w%d b%d m%d", w, i, j))
				}
				if err := s.Append(ctx, batch); err != nil {
					errs <- fmt.Errorf("writer %d: Append: %w", w, err)
					return
				}
				mu.Lock()
				for _, m := range batch {
					if prev, dup := ids[m.ID]; dup {
						mu.Unlock()
						errs <- fmt.Errorf("ID %d assigned twice: %q and %q", m.ID, prev, m.Text)
						return
					}
					ids[m.ID] = m.Text
				}
				total += int64(len(batch))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(done)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case seen := <-tailed:
		if seen != total {
			t.Errorf("the reader saw %d messages, the writers appended %d", seen, total)
		}
	case err := <-tailErr:
		t.Fatalf("tailing: %v", err)
	}
	last, err := reader.LastID(ctx)
	if err != nil || last != total {
		t.Fatalf("LastID = %d, %v; want %d (IDs 1..%d)", last, err, total, total)
	}
	t.Logf("%d messages in %d batches from %d writers on 2 nodes; the reader saw every ID in order", total, writers*batches, writers)
}

func TestInvalidTextRefused(t *testing.T) {
	ctx := t.Context()
	s := open(t, tempDB(t))
	for _, text := range []string{"nul \x00 byte", "bad utf-8 \xff\xfe"} {
		err := s.Append(ctx, []*parley.Message{msg("lobby", "fine"), msg("lobby", text)})
		if code := parley.ErrorCode(err); code != parley.EInvalid {
			t.Errorf("Append(%q): error %v (code %q), want %q", text, err, code, parley.EInvalid)
		}
	}
	if id, err := s.LastID(ctx); err != nil || id != 0 {
		t.Fatalf("LastID after refused batches = %d, %v; want 0", id, err)
	}
	m := msg("lobby", "still usable")
	if err := s.Append(ctx, []*parley.Message{m}); err != nil || m.ID != 1 {
		t.Fatalf("Append after refused batches: ID %d, %v; want ID 1", m.ID, err)
	}
}

func TestAppendNamesMissingRooms(t *testing.T) {
	s := open(t, tempDB(t))
	err := s.Append(t.Context(), []*parley.Message{msg("lobby", "x"), msg("gone", "y"), msg("absent", "z"), msg("gone", "w")})
	if code := parley.ErrorCode(err); code != parley.ENotFound {
		t.Fatalf("error %v (code %q), want %q", err, code, parley.ENotFound)
	}
	if got, want := parley.ErrorMessage(err), `rooms "absent", "gone" do not exist`; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

// TestTimesRounded: times are kept to the microsecond, and Append and
// CreateRoom write back exactly what reads return, in UTC.
func TestTimesRounded(t *testing.T) {
	ctx := t.Context()
	s := open(t, tempDB(t))
	zone := time.FixedZone("UTC-7", -7*60*60)
	in := time.Date(2025, 6, 30, 12, 0, 0, 123456789, zone)
	m := msg("lobby", "precise")
	m.Time = in
	if err := s.Append(ctx, []*parley.Message{m}); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 6, 30, 19, 0, 0, 123457000, time.UTC)
	if m.Time != want {
		t.Fatalf("Append wrote back Time %v, want %v", m.Time, want)
	}
	got, err := s.After(ctx, []string{"lobby"}, 0, 1)
	if err != nil || len(got) != 1 || got[0].Time != want {
		t.Fatalf("After = %+v, %v; want time %v", got, err, want)
	}

	r := &parley.Room{Name: "r", Created: in}
	if err := s.CreateRoom(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r.Created != want {
		t.Fatalf("CreateRoom wrote back Created %v, want %v", r.Created, want)
	}
	if got, err := s.Room(ctx, "r"); err != nil || got.Created != want {
		t.Fatalf("Room = %+v, %v; want Created %v", got, err, want)
	}

	far := msg("lobby", "far future")
	far.Time = time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Append(ctx, []*parley.Message{far}); parley.ErrorCode(err) != parley.EInvalid {
		t.Fatalf("Append of a time in year 12000: %v, want code %q", err, parley.EInvalid)
	}
}

// TestIDsNeverReused deletes the newest message behind the store's back:
// its ID must not be handed out again, and LastID does not go down.
func TestIDsNeverReused(t *testing.T) {
	ctx := t.Context()
	dsn := tempDB(t)
	s := open(t, dsn)
	m := msg("lobby", "doomed")
	if err := s.Append(ctx, []*parley.Message{m}); err != nil {
		t.Fatal(err)
	}
	if _, err := rawConn(t, dsn).Exec(ctx, `DELETE FROM messages WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if id, err := s.LastID(ctx); err != nil || id != m.ID {
		t.Fatalf("LastID after deleting the newest message = %d, %v; want %d", id, err, m.ID)
	}
	next := msg("lobby", "next")
	if err := s.Append(ctx, []*parley.Message{next}); err != nil {
		t.Fatal(err)
	}
	if next.ID <= m.ID {
		t.Fatalf("ID %d reused or lower after deleting ID %d", next.ID, m.ID)
	}
}

func TestClosedIsUnavailable(t *testing.T) {
	s := open(t, tempDB(t))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Append(t.Context(), []*parley.Message{msg("lobby", "late")}); parley.ErrorCode(err) != parley.EUnavailable {
		t.Fatalf("Append after Close: %v, want code %q", err, parley.EUnavailable)
	}
	if _, err := s.Rooms(t.Context()); parley.ErrorCode(err) != parley.EUnavailable {
		t.Fatalf("Rooms after Close: %v, want code %q", err, parley.EUnavailable)
	}
}

func TestOpenUnreachable(t *testing.T) {
	// Port 1 on loopback: nothing listens, the connection is refused.
	dsn := "postgres://parley@127.0.0.1:1/parley?sslmode=disable&connect_timeout=5"
	s, err := postgres.Open(t.Context(), dsn)
	if err == nil {
		s.Close()
		t.Fatal("Open of an unreachable server succeeded")
	}
	if code := parley.ErrorCode(err); code != parley.EUnavailable {
		t.Errorf("error %v (code %q), want %q", err, code, parley.EUnavailable)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1/parley") {
		t.Errorf("error %q does not name the server", err)
	}
}
