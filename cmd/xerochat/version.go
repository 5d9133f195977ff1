package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version, when set at link time (-ldflags "-X main.version=v1.2.3"), names
// the release. Builds without version control information, such as a Docker
// build whose context leaves out .git, have no other way to know it.
var version string

// buildInfo is what a binary knows about how it was built.
type buildInfo struct {
	Version   string // release or module version; "(devel)" if unknown
	Revision  string // VCS commit, "" if not recorded
	Time      string // commit time (RFC 3339), "" if not recorded
	Modified  bool   // the working tree had uncommitted changes
	GoVersion string
	Platform  string // GOOS/GOARCH
}

// readBuildInfo reads the build information the Go toolchain stamps into
// every binary: go build records the module version and, inside a git
// checkout, the commit, its time and whether the tree was modified.
func readBuildInfo() buildInfo {
	bi := buildInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" {
			bi.Version = v
		}
		if info.GoVersion != "" {
			bi.GoVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				bi.Revision = s.Value
			case "vcs.time":
				bi.Time = s.Value
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		bi.Version = version
	}
	return bi
}

// String is the text of xerochat version: the version on the first line,
// so that scripts can take it with head -1, then one "name: value" line each.
func (bi buildInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "xerochat %s\n", bi.Version)
	if bi.Revision != "" {
		fmt.Fprintf(&b, "commit: %s\n", bi.Revision)
	}
	if bi.Time != "" {
		fmt.Fprintf(&b, "commit time: %s\n", bi.Time)
	}
	if bi.Revision != "" {
		fmt.Fprintf(&b, "modified: %t\n", bi.Modified)
	}
	fmt.Fprintf(&b, "go: %s %s\n", bi.GoVersion, bi.Platform)
	return b.String()
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	// No --db: the version needs no database.
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	setUsage(fs, stderr, "Usage: xerochat version (or xerochat --version)\n\n"+
		"Prints the version of this binary, the commit it was built from and the Go version.\n")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprint(stdout, readBuildInfo())
	return nil
}
