package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	goLine := "go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	tests := []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"ldflags win", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}},
			"discourse-chatbot v1.2.3\ncommit: unknown\n" + goLine},
		{"module version from go install", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"},
			Settings: vcs("vcs.revision", "abc123", "vcs.time", "2025-11-25T21:28:00Z")},
			"discourse-chatbot v0.9.0\ncommit: abc123 (2025-11-25T21:28:00Z)\n" + goLine},
		{"devel build of a modified tree", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "abc123", "vcs.time", "2025-11-25T21:28:00Z", "vcs.modified", "true")},
			"discourse-chatbot dev\ncommit: abc123 (2025-11-25T21:28:00Z, modified)\n" + goLine},
		{"no build info", "", nil, "discourse-chatbot dev\ncommit: unknown\n" + goLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.ldflags, tt.bi); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestStampedText(t *testing.T) {
	goLine := "go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
	tests := []struct {
		name  string
		stamp buildStamp
		bi    *debug.BuildInfo
		want  string
	}{
		{"release stamp wins over the build info", buildStamp{"v1.2.3", "def456", "2026-12-01T10:00:00Z"}, vcs,
			"discourse-chatbot v1.2.3\ncommit: def456 (2026-12-01T10:00:00Z)\n" + goLine},
		{"stamp without date", buildStamp{"v1.2.3", "def456", ""}, nil,
			"discourse-chatbot v1.2.3\ncommit: def456\n" + goLine},
		{"no stamp: the build info", buildStamp{}, vcs,
			"discourse-chatbot dev\ncommit: abc123 (modified)\n" + goLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stampedText(tt.stamp, tt.bi); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
