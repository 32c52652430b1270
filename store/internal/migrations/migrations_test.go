package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"migrations/0002_b.sql": {Data: []byte("B")},
		"migrations/0001_a.sql": {Data: []byte("A")},
	})
	if err != nil || len(ms) != 2 || ms[0].Version != 1 || ms[1].SQL != "B" || ms[1].Name != "0002_b.sql" {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	_, err = Load(fstest.MapFS{"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}})
	if err == nil || !strings.Contains(err.Error(), "0002_") {
		t.Errorf("a gap in the numbering: %v, want an error naming 0002_", err)
	}
}
