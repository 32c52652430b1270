// Package buildinfo reports which build of Parley is running, from the
// information the Go toolchain records in every binary: the module version
// ("go install ...@v1.2.3" or a pseudo-version from the VCS revision) and,
// for a build from a checkout, the revision, its time and whether the work
// tree had uncommitted changes.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info describes a build. Fields the toolchain did not record are empty.
type Info struct {
	Version   string // module version, e.g. "v1.2.3"; "(devel)" for go run
	Revision  string // VCS revision
	Time      string // VCS commit time, RFC 3339
	Modified  bool   // built from a work tree with uncommitted changes
	GoVersion string // toolchain, e.g. "go1.26.8"
}

// Read returns the running binary's build information.
func Read() Info {
	info := Info{Version: "(devel)", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info = FromBuildInfo(bi)
	if info.GoVersion == "" {
		info.GoVersion = runtime.Version()
	}
	return info
}

// FromBuildInfo extracts Info from bi.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is one line for "parley version": the version, then what is known
// of the revision and the toolchain, e.g.
//
//	v0.0.0-20261204025900-d0a5eee1b2c3 (revision d0a5eee1b2c3…, 2026-12-04T02:59:00Z) go1.26.8 linux/amd64
func (i Info) String() string {
	var b strings.Builder
	b.WriteString(i.Version)
	var details []string
	if i.Revision != "" {
		details = append(details, "revision "+i.Revision)
	}
	if i.Time != "" {
		details = append(details, i.Time)
	}
	if i.Modified {
		details = append(details, "with uncommitted changes")
	}
	if len(details) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(details, ", "))
	}
	fmt.Fprintf(&b, " %s %s/%s", i.GoVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
