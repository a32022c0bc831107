package commands

import (
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
)

// verbs are the commands of the grammar, for "did you mean …?".
var verbs = []string{"help", "status", "watch", "follow", "mute", "thread", "tag_added", "remove", "post", "test"}

// maxSuggestions bounds a "did you mean" list.
const maxSuggestions = 3

// nearest returns the candidates closest to word, best first: those at most two edits away (one
// for words of up to three letters, so "x" does not suggest "ui"), and those that start with a
// word of three letters or more. Case does not matter.
func nearest(word string, candidates []string) []string {
	word = strings.ToLower(word)
	type scored struct {
		s    string
		dist int
	}
	limit := 2
	if len([]rune(word)) <= 3 {
		limit = 1
	}
	var found []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := levenshtein.ComputeDistance(word, lc)
		if len(word) >= 3 && strings.HasPrefix(lc, word) {
			d = min(d, 1)
		}
		if d > 0 && d <= limit {
			found = append(found, scored{c, d})
		}
	}
	slices.SortFunc(found, func(a, b scored) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return strings.Compare(a.s, b.s)
	})
	out := make([]string, 0, min(len(found), maxSuggestions))
	for i := 0; i < len(found) && i < maxSuggestions; i++ {
		out = append(out, found[i].s)
	}
	return out
}
