package bench

import (
	"context"
	"strings"
	"testing"
)

// fakeTransport opens a stream that delivers the given IDs.
type fakeTransport struct{ ids []int64 }

func (t fakeTransport) open(context.Context) (stream, error) {
	return &fakeStream{ids: t.ids}, nil
}

type fakeStream struct{ ids []int64 }

func (s *fakeStream) next() (frame, error) {
	if len(s.ids) == 0 {
		return frame{}, context.Canceled
	}
	id := s.ids[0]
	s.ids = s.ids[1:]
	return frame{id: id}, nil
}

func (s *fakeStream) close() error { return nil }

// A catch-up fails on a repeated or out-of-order ID, and does not count
// events without one.
func TestReadFromStartChecksOrder(t *testing.T) {
	cases := []struct {
		ids     []int64
		n       int
		wantErr string
	}{
		{[]int64{3, 0, 5, 9}, 3, ""},
		{[]int64{3, 5, 5, 9}, 4, "event 5 after 5"},
		{[]int64{3, 7, 5, 9}, 4, "event 5 after 7"},
		{[]int64{3, 5}, 3, "after 2 of 3 messages"},
	}
	for _, c := range cases {
		err := readFromStart(context.Background(), fakeTransport{c.ids}, c.n)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: %v", c.ids, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want one with %q", c.ids, err, c.wantErr)
		}
	}
}
