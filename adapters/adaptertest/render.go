package adaptertest

import (
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// RenderCase is one row of a platform renderer's table test: the platform's markup for a Text.
type RenderCase struct {
	Name string
	In   adapters.Text
	Want string
}

// Render checks what render makes of each case's Text, one subtest a case.
func Render(t *testing.T, render func(adapters.Text) string, cases []RenderCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if got := render(c.In); got != c.Want {
				t.Errorf("render = %q, want %q", got, c.Want)
			}
		})
	}
}
