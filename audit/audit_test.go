package audit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestRecordLogsAndCounts(t *testing.T) {
	var buf bytes.Buffer
	a := New(slog.New(slog.NewTextHandler(&buf, nil)))
	a.Record(context.Background(), Event{Action: "login", Outcome: Failed, Actor: "ada", Addr: "192.0.2.1", Reason: "wrong name or password"})
	a.Record(context.Background(), Event{Action: "login", Outcome: Failed, Actor: "bob"})
	a.Record(context.Background(), Event{Action: "access", Outcome: Refused})
	out := buf.String()
	for _, want := range []string{"msg=audit", "audit=true", "action=login", "outcome=failed", "actor=ada", "addr=192.0.2.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "target=") {
		t.Errorf("empty fields are written:\n%s", out)
	}
	got := a.Counts()
	if len(got) != 2 || got[0] != (Count{Key{"access", Refused}, 1}) || got[1] != (Count{Key{"login", Failed}, 2}) {
		t.Errorf("Counts = %+v", got)
	}
}

func TestNilLogDoesNothing(t *testing.T) {
	var a *Log
	a.Record(context.Background(), Event{Action: "login", Outcome: OK})
	if a.Counts() != nil {
		t.Error("a nil log counted")
	}
}
