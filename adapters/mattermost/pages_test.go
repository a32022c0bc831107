package mattermost

import (
	"fmt"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// TestHistoryPages: reads longer than one page (perPage) page on: the newest posts back through
// GetPostsBefore, a permalink's range forward through GetPostsAfter, each post once, in order.
func TestHistoryPages(t *testing.T) {
	a, srv := newFake(t)
	ch := srv.Channel()
	const posts = 2*perPage + 50
	var ids []string
	for i := range posts {
		ids = append(ids, srv.InjectPost(ch, srv.MemberID(), fmt.Sprint("post ", i), ""))
	}
	texts := func(from, to int) string {
		var s []string
		for i := from; i < to; i++ {
			s = append(s, fmt.Sprint("post ", i))
		}
		return strings.Join(s, "|")
	}
	tests := []struct {
		name string
		q    adapters.HistoryQuery
		want string
	}{
		{"newest over three pages", adapters.HistoryQuery{Channel: ch, Limit: 2*perPage + 10}, texts(40, posts)},
		{"from a permalink over two pages", adapters.HistoryQuery{Channel: ch, FromLink: srv.Permalink(ids[100]), Limit: 2 * perPage}, texts(100, posts)},
		{"from a permalink, as many as the limit", adapters.HistoryQuery{Channel: ch, FromLink: srv.Permalink(ids[posts-perPage-1]), Limit: perPage + 1}, texts(posts-perPage-1, posts)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := a.History(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			var got []string
			for _, m := range h.Messages {
				if !m.IsSystem {
					got = append(got, m.Text)
				}
			}
			if g := strings.Join(got, "|"); g != tt.want {
				t.Errorf("read %d posts %.60q…, want %d: %.60q…", len(got), g, strings.Count(tt.want, "|")+1, tt.want)
			}
		})
	}
}
