package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version, commit, build date and Go version",
		Long:    "Version prints the bot's version, the VCS commit it was built from and that commit's date, and the Go version.",
		Example: "  discourse-chatbot version",
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprint(cmd.OutOrStdout(), stampedText(buildStamp{version, commit, buildDate}, bi))
			return err
		}),
	}
}

// versionString is the version alone, for logs.
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return resolveVersion(version, bi)
}

// resolveVersion prefers the version set with -ldflags, then the module version from the build
// info (set by `go install …@v1.2.3`), else "dev".
func resolveVersion(ldflags string, bi *debug.BuildInfo) string {
	if ldflags != "" {
		return ldflags
	}
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// buildStamp is what a release build sets with -ldflags -X (scripts/release.sh): each field
// empty when not stamped.
type buildStamp struct{ version, commit, date string }

// versionText is the output of `version` for a build stamped with its version alone.
func versionText(ldflags string, bi *debug.BuildInfo) string {
	return stampedText(buildStamp{version: ldflags}, bi)
}

// stampedText is the output of `version`: the stamped values first, then the build info's.
func stampedText(st buildStamp, bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", name, resolveVersion(st.version, bi))
	rev, when, modified := "unknown", "", false
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if st.commit != "" {
		// A release build's stamp wins: a build from a source archive has no VCS info at all.
		rev, when, modified = st.commit, st.date, false
	}
	fmt.Fprintf(&b, "commit: %s", rev)
	switch {
	case when != "" && modified:
		fmt.Fprintf(&b, " (%s, modified)", when)
	case when != "":
		fmt.Fprintf(&b, " (%s)", when)
	case modified:
		b.WriteString(" (modified)")
	}
	fmt.Fprintf(&b, "\ngo: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}
