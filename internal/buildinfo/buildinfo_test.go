package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/parley-chat/parley", Version: "v0.0.0-20261204025900-d0a5eee1b2c3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "d0a5eee1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7"},
			{Key: "vcs.time", Value: "2026-12-04T02:59:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := FromBuildInfo(bi)
	want := Info{Version: "v0.0.0-20261204025900-d0a5eee1b2c3", Revision: "d0a5eee1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7", Time: "2026-12-04T02:59:00Z", Modified: true, GoVersion: "go1.26.8"}
	if got != want {
		t.Fatalf("FromBuildInfo = %+v, want %+v", got, want)
	}
	line := got.String()
	for _, part := range []string{want.Version, "revision " + want.Revision, want.Time, "uncommitted", "go1.26.8"} {
		if !strings.Contains(line, part) {
			t.Errorf("String() = %q, missing %q", line, part)
		}
	}
}

func TestFromBuildInfoWithoutVCS(t *testing.T) {
	got := FromBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8"})
	if got.Version != "(devel)" || got.Revision != "" || got.Modified {
		t.Fatalf("FromBuildInfo(no VCS) = %+v", got)
	}
	if line := got.String(); strings.Contains(line, "revision") {
		t.Errorf("String() = %q names a revision it does not know", line)
	}
}
