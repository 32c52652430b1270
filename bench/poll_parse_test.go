package bench

import (
	"slices"
	"testing"
)

func TestParsePollAnswer(t *testing.T) {
	body := []byte(`{"events":[{"id":1,"text":"a } { ] \" \\"},{"id":2,"text":"]"}],"cursor":2,"session":"AAAAAAAAAAAAAAAAAAAAAA"}`)
	evs, cursor, sess, err := parsePollAnswer(body, nil)
	if err != nil || cursor != 2 || string(sess) != "AAAAAAAAAAAAAAAAAAAAAA" {
		t.Fatalf("cursor %d session %q err %v", cursor, sess, err)
	}
	got := make([]string, len(evs))
	for i, e := range evs {
		got[i] = string(e)
	}
	want := []string{`{"id":1,"text":"a } { ] \" \\"}`, `{"id":2,"text":"]"}`}
	if !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	// Another key order goes through encoding/json.
	evs, cursor, sess, err = parsePollAnswer([]byte(`{"cursor":7,"session":"s","events":[{"id":7}]}`), nil)
	if err != nil || cursor != 7 || string(sess) != "s" || len(evs) != 1 || string(evs[0]) != `{"id":7}` {
		t.Fatalf("slow path: %q %d %q %v", evs, cursor, sess, err)
	}
	if _, _, _, err := parsePollAnswer([]byte(`<html>`), nil); err == nil {
		t.Error("HTML accepted as an answer")
	}
	empty, cursor, _, err := parsePollAnswer([]byte(`{"events":[],"cursor":9,"session":"x"}`), nil)
	if err != nil || len(empty) != 0 || cursor != 9 {
		t.Errorf("empty answer: %q %d %v", empty, cursor, err)
	}
}
