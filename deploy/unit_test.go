// Package deploy holds files for installing Parley (a systemd unit); its
// test checks them with the tools that will read them.
package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies runs "systemd-analyze verify" on parley.service,
// with ExecStart pointed at an executable that exists here, and fails on
// any complaint: unknown or misspelt directives only print a warning, so
// the output must be empty, not just the exit status zero.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit cannot be verified here")
	}
	unit, err := os.ReadFile("parley.service")
	if err != nil {
		t.Fatal(err)
	}
	const installed = "ExecStart=/usr/local/bin/parley serve"
	if !bytes.Contains(unit, []byte(installed)) {
		t.Fatalf("parley.service does not start %q", installed)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit = bytes.Replace(unit, []byte(installed), []byte("ExecStart="+self+" serve"), 1)
	path := filepath.Join(t.TempDir(), "parley.service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify parley.service: %v\n%s", err, out)
	}
}

// TestSystemdUnitIsHardened keeps the protections the unit promises in
// docs/OPERATIONS.md from being dropped by an edit.
func TestSystemdUnitIsHardened(t *testing.T) {
	unit, err := os.ReadFile("parley.service")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(unit), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{
		"DynamicUser=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=",
		"ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
		"MemoryDenyWriteExecute=yes", "StateDirectory=parley", "UMask=0077",
	} {
		if !lines[want] {
			t.Errorf("parley.service lacks %q", want)
		}
	}
}
