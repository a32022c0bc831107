package bot

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

// Rules changed in the store by another process (`rules add|remove` on the command line) take
// effect in a running bot within one poll: an added rule delivers, a removed one stops.
func TestRulesChangedOutsideTheBotTakeEffect(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bot.db")
	r := startBot(t, newSite(t), newRecorder("console"), db)
	b := <-r.bot
	r.bot <- b
	ctx := t.Context()
	// A second store on the same file, as the command line opens it.
	cli := openTestStore(t, db)
	defer cli.Close()
	rule, err := cli.AddRule(ctx, state.Rule{Channel: "console:cli", Type: state.Normal, Filter: state.Watch, CategoryID: r.forum.cat["support"]})
	if err != nil {
		t.Fatal(err)
	}
	probe := discourse.Post{ID: 1, TopicID: 1, PostNumber: 1, PostType: discourse.PostTypeRegular, CategoryID: r.forum.cat["support"]}
	waitUntil(t, "the bot to see the added rule", func() bool { return len(b.matcher.Load().Match(probe)) > 0 })
	r.forum.CreateTopic("After rules add", "<p>x</p>", "bob", r.forum.cat["support"])
	r.settle(t)
	if got := titles(r.rec.in("console:cli")); fmt.Sprint(got) != "[After rules add#1]" {
		t.Fatalf("console:cli got %q after rules add, want the new topic", got)
	}

	if err := cli.DeleteRule(ctx, rule.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the bot to see the removed rule", func() bool { return len(b.matcher.Load().Match(probe)) == 0 })
	r.forum.CreateTopic("After rules remove", "<p>x</p>", "bob", r.forum.cat["support"])
	r.settle(t)
	if got := titles(r.rec.in("console:cli")); len(got) != 1 {
		t.Fatalf("console:cli got %q, want nothing after rules remove", got)
	}
}

// A topic the forum cannot give holds up no other notification, and `status` shows the post
// held back.
func TestBrokenTopicIsHeldAndShownInStatus(t *testing.T) {
	r := newRun(t)
	mustReply(t, r.rec.command(t, "console:a", "watch support"), "support")
	bad, _ := r.forum.CreateTopic("Broken", "<p>x</p>", "bob", r.forum.cat["support"])
	r.forum.BreakTopic(bad, 502)
	r.forum.CreateTopic("Fine", "<p>y</p>", "bob", r.forum.cat["support"])
	r.settle(t)
	if got := titles(r.rec.in("console:a")); fmt.Sprint(got) != "[Fine#1]" {
		t.Fatalf("console:a got %q, want the readable topic at once", got)
	}
	if status := r.rec.command(t, "console:a", "status"); !strings.Contains(status, "1 forum post held back") {
		t.Errorf("status does not show the held post:\n%s", status)
	}
	b := <-r.bot
	r.bot <- b
	if got := heldGauge(t, b, "retrying"); got != 1 {
		t.Errorf("discourse_chatbot_posts_held{state=retrying} = %v, want 1", got)
	}
	r.forum.BreakTopic(bad, 0)
	r.rec.waitFor(t, "the held post", func(s []sentNote) bool { return len(titles(s)) == 2 })
	if got := titles(r.rec.in("console:a")); fmt.Sprint(got) != "[Fine#1 Broken#1]" {
		t.Fatalf("console:a got %q, want the held post once its topic answers", got)
	}
}

// heldGauge reads discourse_chatbot_posts_held{state}.
func heldGauge(t *testing.T, b *Bot, state string) float64 {
	t.Helper()
	families, err := b.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "discourse_chatbot_posts_held" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "state" && l.GetValue() == state {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no discourse_chatbot_posts_held{state=%q}", state)
	return 0
}
