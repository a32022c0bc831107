package adaptertest

import (
	"strings"
	"testing"
)

// fatalRecorder is a testing.TB that notes a Fatalf instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (r *fatalRecorder) Helper()               {}
func (r *fatalRecorder) Fatalf(string, ...any) { r.failed = true }

func TestCheckUTF8(t *testing.T) {
	valid := RenderInput{Title: "Grüße", Tag: "bug"}
	invalid := RenderInput{Title: "a\xffb"}
	tests := []struct {
		name string
		in   RenderInput
		out  string
		fail bool
	}{
		{"valid in, valid out", valid, "**Grüße**", false},
		{"valid in, broken out", valid, "Gr\xc3", true},
		{"broken in may come out broken", invalid, "a\xffb", false},
	}
	for _, tt := range tests {
		r := &fatalRecorder{TB: t}
		tt.in.CheckUTF8(r, "the title", tt.out)
		if r.failed != tt.fail {
			t.Errorf("%s: CheckUTF8 failed = %v, want %v", tt.name, r.failed, tt.fail)
		}
	}
}

func TestRenderInputCarriesEveryField(t *testing.T) {
	in := RenderInput{Title: "T", Excerpt: "E", Author: "A", Category: "C", URL: "https://u.example/", Tag: "G"}
	n := in.Notification()
	if n.TopicTitle != "T" || n.Excerpt != "E" || n.AuthorName != "A" || n.CategoryPath != "C" || n.URL != in.URL || n.Tags[0] != "G" {
		t.Errorf("Notification = %+v, want every field of %+v", n, in)
	}
	var text strings.Builder
	for _, sp := range in.Reply() {
		text.WriteString(sp.Text + sp.URL)
	}
	if got := text.String(); got != "TEAChttps://u.example/G" {
		t.Errorf("Reply holds %q, want every field of %+v", got, in)
	}
}
