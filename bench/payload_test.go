package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

func TestPostBodyRoundTrip(t *testing.T) {
	sent := time.Now().UnixNano()
	body := appendPostBody(nil, 42, sent)
	var req struct {
		Text string `json:"text"`
		Name string `json:"name"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if req.Name != "bench" {
		t.Errorf("name = %q", req.Name)
	}
	// The server stores the text and sends it back inside its own JSON.
	ev := parley.NewEvent(parley.Message{ID: 7, Room: "lobby", Kind: parley.KindMessage, From: req.Name, Text: req.Text, Time: time.Now()})
	seq, nanos, ok := parseBenchText(ev.JSON())
	if !ok || seq != 42 || nanos != sent {
		t.Fatalf("parseBenchText(%s) = %d, %d, %v", ev.JSON(), seq, nanos, ok)
	}
}

func TestParseBenchText(t *testing.T) {
	for _, tc := range []struct {
		in        string
		seq, nano int64
		ok        bool
	}{
		{`{"id":1,"text":"bench 1 1732212345123456789","time":"x"}`, 1, 1732212345123456789, true},
		{`{"from":"bench","text": "bench 3 99"}`, 3, 99, true},
		{`{"text":"bench 1 9223372036854775807"}`, 1, math.MaxInt64, true},
		{`{"text":"bench 1 9223372036854775808"}`, 0, 0, false}, // overflow
		{`{"text":"hello"}`, 0, 0, false},
		{`{"text":"bench"}`, 0, 0, false},
		{`{"text":"bench 1"}`, 0, 0, false},
		{`{"text":"bench 1 2 3"}`, 0, 0, false},
		{`{"text":"bench x 2"}`, 0, 0, false},
		{`{"text":"bench 1 2`, 0, 0, false},
		{`{"from":"ada \"text\":\"bench 1 2\"","text":"hi"}`, 0, 0, false},
		{`{"kind":"join","from":"bench"}`, 0, 0, false},
		{``, 0, 0, false},
	} {
		seq, nano, ok := parseBenchText([]byte(tc.in))
		if seq != tc.seq || nano != tc.nano || ok != tc.ok {
			t.Errorf("parseBenchText(%s) = %d, %d, %v; want %d, %d, %v", tc.in, seq, nano, ok, tc.seq, tc.nano, tc.ok)
		}
	}
}

func TestParseBenchTextNoAllocs(t *testing.T) {
	data := []byte(`{"id":123456,"room":"lobby","kind":"message","from":"bench","text":"bench 50 1732212345123456789","time":"2026-11-21T19:20:54.123456789Z"}`)
	if n := testing.AllocsPerRun(100, func() { parseBenchText(data) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
