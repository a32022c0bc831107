package bot

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/discord/discordtest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/mattermost/mattermosttest"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/slack/slacktest"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
	"github.com/discourse-chatbot/discourse-chatbot/transcript/transcripttest"
)

// What the per-platform end-to-end tests (e2e_<platform>_test.go) do and check alike, whatever
// the platform's messages look like.

// chatBot is a bot running with one chat platform as its only one: the fake forum, the
// platform's fake and the bot.
type chatBot[F platformFake] struct {
	forum *site
	fake  F
	bot   *Bot
}

// The bots of the per-platform tests, each with what only its platform does.
type (
	slackBot   struct{ chatBot[*slacktest.Server] }
	discordBot struct{ chatBot[*discordtest.Server] }
	mmBot      struct {
		chatBot[*mattermosttest.Server]
	}
)

// startChatBot runs the bot against a new fake forum and a new fake of p until the test ends.
// extra adjusts the options; seed, when set, fills the fake before the bot starts. It returns
// once the adapter is connected and the forum poller has started, so that every post the test
// makes afterwards is announced.
func startChatBot[F platformFake](t *testing.T, p chatPlatform[F], extra botOption, seed func(F)) chatBot[F] {
	t.Helper()
	forum := newSite(t)
	fake, run, _ := startChat(t, p, forum, extra, seed)
	return chatBot[F]{forum: forum, fake: fake, bot: run.bot}
}

// keep returns the elements of all for which ok holds, in order.
func keep[M any](all []M, ok func(M) bool) []M {
	var out []M
	for _, m := range all {
		if ok(m) {
			out = append(out, m)
		}
	}
	return out
}

// waitCount waits until list returns at least n elements (what names them) and returns them.
func waitCount[M any](t *testing.T, what string, n int, list func() []M) []M {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d %s", n, what), func() bool { return len(list()) >= n })
	return list()
}

// postTopicsAandB makes two topics in Support with their replies interleaved, so that a
// thread rule notifies, in order: A's first post, A, B's first post, A, B.
func postTopicsAandB(forum *site) {
	a, _ := forum.CreateTopic("Topic A", "<p>a1</p>", "alice", forum.cat["support"])
	forum.Reply(a, "bob", "<p>a2</p>")
	b, _ := forum.CreateTopic("Topic B", "<p>b1</p>", "bob", forum.cat["support"])
	forum.Reply(a, "carol", "<p>a3</p>")
	forum.Reply(b, "alice", "<p>b2</p>")
}

// threadNote is a notification as the thread checks see it: its title, its own id and the
// thread it went into ("" for none).
type threadNote struct{ title, id, thread string }

// checkThreadPerTopic checks the five notifications of postTopicsAandB: each topic's first post
// starts a thread (rootName says what names it: the first notification's ts, id, …) and the
// topic's replies go into it.
func checkThreadPerTopic(t *testing.T, got []threadNote, rootName string) {
	t.Helper()
	var titles []string
	for _, n := range got {
		titles = append(titles, n.title)
	}
	if want := "[Topic A Topic A Topic B Topic A Topic B]"; fmt.Sprint(titles) != want || len(got) != 5 {
		t.Fatalf("titles %q, want %s", titles, want)
	}
	a1, a2, b1, a3, b2 := got[0], got[1], got[2], got[3], got[4]
	if a1.thread != "" || b1.thread != "" {
		t.Errorf("first posts went into a thread: A %q, B %q", a1.thread, b1.thread)
	}
	if a2.thread != a1.id || a3.thread != a1.id {
		t.Errorf("replies of A in threads %q and %q, want %s %q", a2.thread, a3.thread, rootName, a1.id)
	}
	if b2.thread != b1.id {
		t.Errorf("reply of B in thread %q, want %q", b2.thread, b1.id)
	}
}

// checkNothingMade checks that what who typed made no rule and no forum post.
func checkNothingMade(t *testing.T, b *Bot, forum *site, who string) {
	t.Helper()
	rules, err := b.Store().AllRules(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 0 {
		t.Errorf("%s made rules: %+v", who, rules)
	}
	if created := forum.CreatedPosts(); len(created) != 0 {
		t.Errorf("%s posted to the forum: %+v", who, created)
	}
}

// transcriptTopic returns the one topic a transcript made, checking that it is in Support with
// a default title starting with titlePrefix, and that answer links it.
func transcriptTopic(t *testing.T, forum *site, answer, titlePrefix string) discoursetest.CreatedPost {
	t.Helper()
	created := forum.CreatedPosts()
	if len(created) != 1 {
		t.Fatalf("the forum got %d posts, want 1 topic: %+v", len(created), created)
	}
	topic := created[0]
	if topic.CategoryID != forum.cat["support"] || !strings.HasPrefix(topic.Title, titlePrefix) {
		t.Errorf("topic %q in category %d, want a default title in support (%d)", topic.Title, topic.CategoryID, forum.cat["support"])
	}
	if !strings.Contains(answer, fmt.Sprintf("/%d", topic.TopicID)) {
		t.Errorf("answer %q does not link the new topic %d", answer, topic.TopicID)
	}
	return topic
}

// oneTranscript returns the raw text of the one post the forum got.
func oneTranscript(t *testing.T, forum *site) string {
	t.Helper()
	created := forum.CreatedPosts()
	if len(created) != 1 {
		t.Fatalf("the forum got %d posts, want 1", len(created))
	}
	return created[0].Raw
}

// checkThreadTranscript checks that the forum got n posts, the last a thread's transcript titled
// title that holds want in that order and nothing of outside.
func checkThreadTranscript(t *testing.T, forum *site, n int, title string, want, outside []string) {
	t.Helper()
	created := forum.CreatedPosts()
	if len(created) != n {
		t.Fatalf("the forum got %d posts, want %d", len(created), n)
	}
	thread := created[n-1]
	if thread.Title != title {
		t.Errorf("title %q, want the words after the command's link, %q", thread.Title, title)
	}
	checkTranscriptOrder(t, thread.Raw, want, outside)
}

// checkInstallerThread is checkThreadTranscript of the thread the Slack and Mattermost tests
// seed: asker asks about the installer hanging, helper answers, asker says it is fixed; the
// greeting before it and the channel's messages after it stay out.
func checkInstallerThread(t *testing.T, forum *site, n int, asker, helper string) {
	t.Helper()
	checkThreadTranscript(t, forum, n, "Installer hang",
		[]string{"**@" + asker + ":** Has anyone seen the installer hang?", "**@" + helper + ":** Yes, on **step 3**", "**@" + asker + ":** Fixed it with `--verbose` :tada:"},
		[]string{"Morning all", "Run it with"})
}

// checkTranscript checks that a transcript holds every one of want and none of outside.
func checkTranscript(t *testing.T, raw string, want, outside []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(raw, w) {
			t.Errorf("transcript lacks %q:\n%s", w, raw)
		}
	}
	checkLeftOut(t, raw, outside)
}

// checkTranscriptOrder checks that a transcript holds every one of want, in that order, and none
// of outside.
func checkTranscriptOrder(t *testing.T, raw string, want, outside []string) {
	t.Helper()
	transcripttest.InOrder(t, raw, want...)
	checkLeftOut(t, raw, outside)
}

func checkLeftOut(t *testing.T, raw string, outside []string) {
	t.Helper()
	for _, o := range outside {
		if strings.Contains(raw, o) {
			t.Errorf("transcript holds %q from outside what was asked for:\n%s", o, raw)
		}
	}
}

// composerLink parses the composer link of link mode, checks that it opens the forum's
// composer in Support with a default title starting with titlePrefix and that the forum got no
// post, and returns its query (the body is the transcript).
func composerLink(t *testing.T, forum *site, link, titlePrefix string) url.Values {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != forum.URL()+"/new-topic" {
		t.Errorf("composer link goes to %s", got)
	}
	q := u.Query()
	if q.Get("category_id") != fmt.Sprint(forum.cat["support"]) || !strings.HasPrefix(q.Get("title"), titlePrefix) {
		t.Errorf("composer link title %q category %q", q.Get("title"), q.Get("category_id"))
	}
	if n := len(forum.CreatedPosts()); n != 0 {
		t.Errorf("link mode created %d forum posts, want none", n)
	}
	return q
}
