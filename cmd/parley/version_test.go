package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionNamesTheRevision builds the binary as "go build" does from a
// checkout and checks that "parley version" names the commit it was built
// from, read from the build information rather than a hand-set string.
func TestVersionNamesTheRevision(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (git rev-parse HEAD: %v): the toolchain records no revision to check", err)
	}
	// -buildvcs=true: as "go build" does by default, even where GOFLAGS
	// turns VCS stamping off.
	bin := filepath.Join(t.TempDir(), "parley")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if meta, err := exec.Command("go", "version", "-m", bin).Output(); err != nil || !strings.Contains(string(meta), "vcs.revision=") {
		t.Skipf("the toolchain recorded no revision in this checkout (go version -m: %v): nothing to check", err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("parley version: %v\n%s", err, out)
	}
	line := string(out)
	if !strings.HasPrefix(line, "parley ") {
		t.Errorf("parley version = %q, want it to start with \"parley \"", line)
	}
	if rev := strings.TrimSpace(string(head)); !strings.Contains(line, "revision "+rev) {
		t.Errorf("parley version = %q, want it to name revision %s", line, rev)
	}
	if strings.Contains(line, "dev\n") {
		t.Errorf("parley version = %q still prints a placeholder", line)
	}
}
