package discourse_test

import (
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// BenchmarkPollCycle measures one poll tick that finds 50 new posts in 10 topics (so 10 topic
// requests and one /posts.json) against the fake forum on loopback, rendering included.
func BenchmarkPollCycle(b *testing.B) {
	f, c := newForum(b)
	cat := f.AddCategory(discourse.Category{Name: "General"})
	cooked := `<p>Hello <a class="mention-group" href="/groups/support">@support</a>, the printer <img src="/e.png" class="emoji" alt=":fire:"> again.</p><aside class="quote"><div class="title">bob:</div><blockquote><p>Did you restart it?</p></blockquote></aside><p>Yes, twice. <code>lpstat -t</code> says idle.</p>`
	var topics []int64
	for range 10 {
		id, _ := f.CreateTopic("Printer on fire", cooked, "alice", cat, "hardware")
		topics = append(topics, id)
	}
	for b.Loop() {
		b.StopTimer()
		cur := newCursors()
		p := newPoller(b, c, cur, discourse.PollerConfig{})
		if err := p.PollOnce(b.Context(), cur.handle); err != nil {
			b.Fatal(err)
		}
		for i := range 50 {
			f.Reply(topics[i%10], "carol", cooked)
		}
		b.StartTimer()
		if err := p.PollOnce(b.Context(), cur.handle); err != nil {
			b.Fatal(err)
		}
		if n := len(cur.ids()); n != 50 {
			b.Fatalf("handed on %d posts, want 50", n)
		}
	}
}
