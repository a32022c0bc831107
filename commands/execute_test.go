package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

var (
	pubCh  = adapters.ChannelRef{Platform: "slack", ChatID: "CPUB"}
	privCh = adapters.ChannelRef{Platform: "slack", ChatID: "CPRIV"}
)

// execEnv is an Executor over fakes, counting rule-change callbacks.
type execEnv struct {
	store   *fakeStore
	catalog *fakeCatalog
	tr      *fakeTranscripts
	sampler *fakeSampler
	changed int
	e       *Executor
}

func newExecEnv(t *testing.T, rules ...state.Rule) *execEnv {
	t.Helper()
	x := &execEnv{store: newFakeStore(rules...), catalog: newFakeCatalog(), tr: &fakeTranscripts{}, sampler: &fakeSampler{}}
	x.e = &Executor{
		Store:   x.store,
		Catalog: x.catalog,
		Access: Access{
			Allow:           []string{"slack:UALLOWED", "telegram:42"},
			PrivateChannels: []string{"slack:CPRIV", "telegram:-100"},
		},
		Transcripts:    x.tr,
		Sampler:        x.sampler,
		OnRulesChanged: func() { x.changed++ },
	}
	return x
}

// execAs says who runs a command, and where.
type execAs struct {
	ch    adapters.ChannelRef
	user  string
	admin bool
}

var (
	admin    = execAs{ch: pubCh, user: "UADMIN", admin: true}
	privAdm  = execAs{ch: privCh, user: "UADMIN", admin: true}
	member   = execAs{ch: pubCh, user: "UMEMBER"}
	allowed  = execAs{ch: pubCh, user: "UALLOWED"}
	otherApp = execAs{ch: adapters.ChannelRef{Platform: "telegram", ChatID: "-5"}, user: "UALLOWED"}
)

func (x *execEnv) run(t *testing.T, as execAs, text string) adapters.Reply {
	t.Helper()
	return x.e.Execute(t.Context(), adapters.Command{
		Channel: as.ch,
		Invoker: adapters.User{ID: as.user, Username: "alice"},
		IsAdmin: as.admin,
		Text:    text,
		Time:    time.Now(),
	})
}

func rule(id int64, ch adapters.ChannelRef, f state.Filter, cat int64, tags ...string) state.Rule {
	return state.Rule{ID: id, Channel: ch.String(), Type: state.Normal, Filter: f, CategoryID: cat, Tags: tags}
}

func groupRule(id int64, ch adapters.ChannelRef, typ state.RuleType, f state.Filter, group string) state.Rule {
	return state.Rule{ID: id, Channel: ch.String(), Type: typ, Filter: f, Group: group}
}

// publicCategories ends the answer to an unknown category in a public channel.
const publicCategories = "Categories this channel may use: 8-category, announcements, dev, dev/bugs, support, support/bugs. Restricted categories need this channel on the bot's access.private_channels list."

// TestReplies pins the reply to every kind of command and outcome, as the user reads it.
func TestReplies(t *testing.T) {
	statusRules := []state.Rule{
		rule(1, privCh, state.Watch, 3, "bug", "crash"),
		rule(2, privCh, state.Mute, 0),
		groupRule(3, privCh, state.GroupMessage, state.Follow, "staff"),
		groupRule(4, privCh, state.GroupMention, state.Watch, "devs"),
		rule(5, privCh, state.Follow, 99),
		rule(6, privCh, state.Thread, 0, "release"),
		rule(7, privCh, state.TagAdded, 3, "ui"),
		rule(8, privCh, state.TagAdded, 0),
	}
	tests := []struct {
		name     string
		rules    []state.Rule
		setup    func(*execEnv)
		as       execAs
		cmd      string
		want     string // the whole reply, as plain text
		announce string // the whole announcement; empty for none
		changed  int    // OnRulesChanged calls
		// created, when set, is a rule the command creates: the reply is "Rule created: "
		// and it, announced to the channel, with one OnRulesChanged call.
		created string
	}{
		{name: "syntax error points to help", as: member, cmd: "wtch support",
			want: `Unknown command "wtch": did you mean watch? See /discourse help.`},
		{name: "status of a channel without rules", as: member, cmd: "status",
			want: "No rules yet. Add one with /discourse watch <category>; see /discourse help for more.\n"},
		{name: "status numbers rules in precedence order with paths and tags", rules: statusRules, as: privAdm, cmd: "status",
			want: "Rules of this channel (first match wins):\n" +
				"1. follow group:staff (private messages to the group)\n" +
				"2. watch mention:devs (posts mentioning the group)\n" +
				"3. mute all categories\n" +
				"4. thread all categories with tag release\n" +
				"5. watch support/bugs with tag bug or crash\n" +
				"6. follow deleted category #99\n" +
				"7. tag_added support/bugs gaining tag ui\n" +
				"8. tag_added all categories gaining any tag\n"},
		{name: "status shows the last delivery error", rules: statusRules[1:2], as: privAdm, cmd: "status",
			setup: func(x *execEnv) {
				x.store.setError(privCh.String(), "channel_not_found", time.Date(2025, 3, 4, 5, 6, 0, 0, time.UTC))
			},
			want: "Rules of this channel (first match wins):\n1. mute all categories\n" +
				"Last delivery error (2025-03-04 05:06 UTC): channel_not_found\n"},
		{name: "status adds the Status lines", as: member, cmd: "status",
			setup: func(x *execEnv) {
				x.e.Status = func(_ context.Context, ch adapters.ChannelRef) adapters.Text {
					return adapters.Text{{Text: "Forum API: 12 requests in the last minute (" + ch.String() + ")\n"}}
				}
			},
			want: "No rules yet. Add one with /discourse watch <category>; see /discourse help for more.\n" +
				"Forum API: 12 requests in the last minute (slack:CPUB)\n"},
		{name: "status survives an unreachable forum", rules: statusRules[:1], as: privAdm, cmd: "status",
			setup: func(x *execEnv) { x.catalog.fail = errors.New("503") },
			want:  "Rules of this channel (first match wins):\n1. watch category #3 with tag bug or crash\n"},

		{name: "watch a category", as: admin, cmd: "watch support", created: "watch support"},
		{name: "follow a subcategory with tags", as: admin, cmd: "follow Support/Bugs tag:crash,bug", created: "follow support/bugs with tag bug or crash"},
		{name: "a tag for all categories", as: admin, cmd: "thread tag:release", created: "thread all categories with tag release"},
		{name: "tag_added on a category", as: admin, cmd: "tag_added support tag:ui", created: "tag_added support gaining tag ui"},
		{name: "tag_added of any tag anywhere", as: admin, cmd: "tag_added", created: "tag_added all categories gaining any tag"},
		{name: "tag_added of an unknown tag", as: admin, cmd: "tag_added tag:nope",
			want: "There is no tag nope on the forum. Tags: bug, crash, release, ui. See /discourse help."},
		{name: "a category without a slug goes by <id>-category", as: admin, cmd: "watch 8-category", created: "watch 8-category"},
		{name: "unknown category lists the public ones", as: admin, cmd: "watch nope",
			want: "There is no category nope here. " + publicCategories},
		{name: "unknown category in a private channel lists restricted ones too", as: privAdm, cmd: "watch nope",
			want: "There is no category nope here. Categories this channel may use: 8-category, announcements, dev, dev/bugs, staff, staff/secret, support, support/bugs."},
		{name: "a slug two subcategories share asks for the parent", as: admin, cmd: "watch bugs",
			want: "Several categories are called bugs: use one of dev/bugs, support/bugs. See /discourse help."},
		{name: "unknown tag", as: admin, cmd: "watch support tag:bug tag:nope",
			want: "There is no tag nope on the forum. Tags: bug, crash, release, ui. See /discourse help."},
		{name: "a misspelt tag suggests the nearest", as: admin, cmd: "watch support tag:crsh",
			want: "There is no tag crsh on the forum. Did you mean tag:crash? Tags: bug, crash, release, ui. See /discourse help."},
		{name: "a misspelt category suggests the nearest usable one", as: admin, cmd: "watch suport",
			want: "There is no category suport here. Did you mean support? " + publicCategories},
		{name: "a restricted category is never suggested to a public channel", as: admin, cmd: "watch staf",
			want: "There is no category staf here. " + publicCategories},
		{name: "watch alone is all categories, as on the command line", as: admin, cmd: "watch", created: "watch all categories"},
		{name: "a public channel is not told a restricted category exists", as: admin, cmd: "watch staff",
			want: "There is no category staff here. " + publicCategories},
		{name: "nor its restricted child", as: admin, cmd: "watch secret",
			want: "There is no category secret here. " + publicCategories},
		{name: "restricted category allowed in a private channel", as: privAdm, cmd: "watch staff/secret", created: "watch staff/secret"},
		{name: "group rule refused in a public channel", as: admin, cmd: "watch group:staff",
			want: "A group rule can show private forum content, so this channel must be on the bot's access.private_channels list first."},
		{name: "mention rule refused in a public channel", as: admin, cmd: "watch mention:devs",
			want: "A mention rule can show private forum content, so this channel must be on the bot's access.private_channels list first."},
		{name: "group rule in a private channel", as: privAdm, cmd: "follow group:Staff", created: "follow group:staff (private messages to the group)"},
		{name: "mention rule in a private channel", as: privAdm, cmd: "mute mention:devs", created: "mute mention:devs (posts mentioning the group)"},
		{name: "a private chat covers its threads", as: execAs{ch: adapters.ChannelRef{Platform: "telegram", ChatID: "-100", ThreadID: "7"}, admin: true},
			cmd: "watch group:staff", created: "watch group:staff (private messages to the group)"},
		{name: "unknown group", as: privAdm, cmd: "watch group:nobody",
			want: "There is no group nobody on the forum. See /discourse help."},
		{name: "same rule twice changes nothing", rules: []state.Rule{rule(1, pubCh, state.Watch, 2)}, as: admin, cmd: "watch support",
			want: "This channel already has that rule: watch support"},
		{name: "forum unreachable while adding", as: admin, cmd: "watch support",
			setup: func(x *execEnv) { x.catalog.fail = errors.New("dial tcp: timeout") },
			want:  "The forum could not be asked just now; please try again later."},
		{name: "store failure is an apology without details", as: admin, cmd: "watch support",
			setup: func(x *execEnv) { x.store.fail = errFake },
			want:  "Something went wrong on the bot's side; the bot's log has the details. Please try again later."},
		{name: "mass mentions in echoed input are defused", as: admin, cmd: "watch @everyone",
			want: "There is no category @\u2060everyone here. " + publicCategories},

		{name: "remove by status number", rules: []state.Rule{rule(1, pubCh, state.Watch, 2), rule(2, pubCh, state.Mute, 0)},
			as: admin, cmd: "remove 1", changed: 1,
			want:     "Rule 1 removed: mute all categories",
			announce: "alice changed this channel's forum notifications. Rule 1 removed: mute all categories"},
		{name: "remove out of range", rules: []state.Rule{rule(1, pubCh, state.Watch, 2), rule(2, pubCh, state.Mute, 0)},
			as: admin, cmd: "remove 3",
			want: "There is no rule 3. This channel has 2 rules; see /discourse status."},
		{name: "remove with no rules", as: admin, cmd: "remove 1",
			want: "There is no rule 1. This channel has no rules; see /discourse status."},

		{name: "post hands the request over and answers its text", as: admin, cmd: "post 30",
			setup: func(x *execEnv) {
				x.tr.reply = adapters.Text{{Kind: adapters.Link, Text: "Transcript", URL: "https://forum/t/1"}}
			},
			want: "Transcript (https://forum/t/1)"},
		{name: "post without transcripts set up", as: admin, cmd: "post",
			setup: func(x *execEnv) { x.e.Transcripts = nil },
			want:  "Transcripts are not set up for this bot."},
		{name: "post with a foreign link", as: admin, cmd: "post https://elsewhere/x",
			setup: func(x *execEnv) { x.tr.err = fmt.Errorf("history: %w", adapters.ErrBadLink) },
			want:  "That is not a message link of this chat. See /discourse help."},
		{name: "post where bots cannot read history", as: admin, cmd: "post",
			setup: func(x *execEnv) { x.tr.err = adapters.ErrNoHistory },
			want:  "This platform does not let bots read history, and the bot has recorded no messages here yet."},
		{name: "post failing hides the details", as: admin, cmd: "post",
			setup: func(x *execEnv) { x.tr.err = errFake },
			want:  "The transcript could not be made; the bot's log has the details."},

		{name: "test sends a sample", as: admin, cmd: "test", want: "A sample notification was sent to this channel."},
		{name: "test without a sampler", as: admin, cmd: "test", setup: func(x *execEnv) { x.e.Sampler = nil },
			want: "Sample notifications are not set up for this bot."},
		{name: "test failing", as: admin, cmd: "test", setup: func(x *execEnv) { x.sampler.err = errFake },
			want: "The sample notification could not be sent; the bot's log has the details."},
	}
	for _, tt := range tests {
		if tt.created != "" {
			tt.want = "Rule created: " + tt.created
			tt.announce, tt.changed = "alice changed this channel's forum notifications. "+tt.want, 1
		}
		t.Run(tt.name, func(t *testing.T) {
			x := newExecEnv(t, tt.rules...)
			if tt.setup != nil {
				tt.setup(x)
			}
			got := x.run(t, tt.as, tt.cmd)
			if s := got.Text.String(); s != tt.want {
				t.Errorf("reply:\n got %q\nwant %q", s, tt.want)
			}
			if s := got.Announce.String(); s != tt.announce {
				t.Errorf("announce:\n got %q\nwant %q", s, tt.announce)
			}
			if x.changed != tt.changed {
				t.Errorf("OnRulesChanged called %d times, want %d", x.changed, tt.changed)
			}
			if strings.Contains(got.Text.String(), "secret@") {
				t.Errorf("reply leaks an internal error: %q", got.Text.String())
			}
		})
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	x := newExecEnv(t)
	x.e.BotName = "@forumbot"
	got := x.run(t, member, "help").Text.String()
	for _, want := range []string{
		"@forumbot help", "@forumbot status", "@forumbot watch <category> [tag:<name> …]",
		"@forumbot watch tag:<name>[,<name>]", "@forumbot follow", "@forumbot thread", "@forumbot mute",
		"group:<name>", "mention:<name>", "@forumbot remove <n>", "@forumbot post [<n> | <message link>]",
		"@forumbot post thread [<link>]", "to <topic url>", "@forumbot test", "parent/child",
		"@forumbot tag_added [<category>] tag:<name>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("help lacks %q:\n%s", want, got)
		}
	}
	for i, line := range strings.Split(strings.TrimSpace(got), "\n")[1:] {
		if !strings.Contains(line, " — ") {
			t.Errorf("help line %d has no description: %q", i+2, line)
		}
	}
}

// TestHelpNamesTheBotAsTheChatDoes: on a platform without slash commands (Mattermost) help and
// hints must say how users there address the bot, not "/discourse".
func TestHelpNamesTheBotAsTheChatDoes(t *testing.T) {
	x := newExecEnv(t)
	ask := func(text string) string {
		return x.e.Execute(t.Context(), adapters.Command{
			Channel: pubCh, Invoker: adapters.User{ID: "U1", Username: "alice"}, Text: text,
			Time: time.Now(), Invocation: "@discourse",
		}).Text.String()
	}
	for _, text := range []string{"help", "status", "frobnicate"} {
		got := ask(text)
		if !strings.Contains(got, "@discourse ") || strings.Contains(got, "/discourse") {
			t.Errorf("%s: %q, want the bot named @discourse", text, got)
		}
	}
	if got := x.run(t, member, "help").Text.String(); !strings.Contains(got, "/discourse status") {
		t.Errorf("without an invocation help says %q, want /discourse", got)
	}
}

func TestPostRequestReachesTranscripts(t *testing.T) {
	x := newExecEnv(t)
	x.run(t, admin, "post thread https://chat/x to https://forum/t/a/1")
	want := []PostRequest{{Thread: true, ThreadLink: "https://chat/x", ToTopic: "https://forum/t/a/1"}}
	if !slices.Equal(x.tr.got, want) {
		t.Errorf("Transcripts got %+v, want %+v", x.tr.got, want)
	}
}

func TestTestSendsToTheChannel(t *testing.T) {
	x := newExecEnv(t)
	x.run(t, admin, "test")
	if !slices.Equal(x.sampler.sent, []adapters.ChannelRef{pubCh}) {
		t.Errorf("samples sent to %v, want %v", x.sampler.sent, pubCh)
	}
}

func TestCommandCreatesChannel(t *testing.T) {
	x := newExecEnv(t)
	x.run(t, member, "help")
	if _, err := x.store.Channel(t.Context(), pubCh.String()); err != nil {
		t.Errorf("channel after a first command: %v", err)
	}
}

// TestPermissions: who may run what. Refused commands change nothing.
func TestPermissions(t *testing.T) {
	const refused = "Only a channel admin or a user on the bot's access.allow list may run "
	tests := []struct {
		name    string
		as      execAs
		cmd     string
		refused bool
	}{
		{"anyone may ask for help", member, "help", false},
		{"anyone may ask for status", member, "status", false},
		{"a member may not watch", member, "watch support", true},
		{"a member may not remove", member, "remove 1", true},
		{"a member may not post", member, "post 5", true},
		{"a member may not test", member, "test", true},
		{"a member may not mute", member, "mute support", true},
		{"a channel admin may watch", admin, "watch support", false},
		{"an allow-listed user may watch", allowed, "watch support", false},
		{"an allow-listed user may post", allowed, "post 5", false},
		{"an allow-list entry is per platform", otherApp, "watch support", true},
		{"a user without id is never allow-listed", execAs{ch: pubCh}, "watch support", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExecEnv(t, rule(1, pubCh, state.Watch, 1))
			before := x.store.describe(t, tt.as.ch.String())
			got := x.run(t, tt.as, tt.cmd).Text.String()
			if is := strings.HasPrefix(got, refused); is != tt.refused {
				t.Fatalf("reply %q; refused = %v, want %v", got, is, tt.refused)
			}
			if tt.refused {
				verb := strings.Fields(tt.cmd)[0]
				if got != refused+verb+"." {
					t.Errorf("reply %q does not name the command %q", got, verb)
				}
				if after := x.store.describe(t, tt.as.ch.String()); !slices.Equal(before, after) || x.changed != 0 {
					t.Errorf("refused command changed rules: %v → %v", before, after)
				}
			}
		})
	}
}

// TestMerge pins the plugin's smart_create_rule: same category+tags → new filter; same
// category+filter → union of tags; otherwise a new rule. Duplicates it absorbs go.
func TestMerge(t *testing.T) {
	tests := []struct {
		name  string
		rules []state.Rule
		as    execAs
		cmd   string
		reply string // the reply's first words
		want  []string
	}{
		{"a new rule is created", nil, admin, "watch support", "Rule created",
			[]string{"watch normal cat=2"}},
		{"same category and no tags: the filter changes", []state.Rule{rule(1, pubCh, state.Watch, 2)}, admin, "mute support",
			"Rule updated", []string{"mute normal cat=2"}},
		{"same category and tags: the filter changes", []state.Rule{rule(1, pubCh, state.Watch, 2, "bug")}, admin, "follow support tag:bug",
			"Rule updated", []string{"follow normal cat=2 tags=bug"}},
		{"tags compare as sets, case-insensitively", []state.Rule{rule(1, pubCh, state.Watch, 2, "bug", "crash")}, admin, "thread support tag:Crash,BUG",
			"Rule updated", []string{"thread normal cat=2 tags=bug,crash"}},
		{"same category and filter: tags are unioned", []state.Rule{rule(1, pubCh, state.Watch, 2, "bug")}, admin, "watch support tag:crash",
			"Rule updated", []string{"watch normal cat=2 tags=bug,crash"}},
		{"same filter, untagged new rule: union keeps the old tags (as the plugin)", []state.Rule{rule(1, pubCh, state.Watch, 2, "bug")}, admin, "watch support",
			"This channel already has that rule", []string{"watch normal cat=2 tags=bug"}},
		{"same category, other filter and tags: a second rule", []state.Rule{rule(1, pubCh, state.Watch, 2, "bug")}, admin, "follow support tag:crash",
			"Rule created", []string{"watch normal cat=2 tags=bug", "follow normal cat=2 tags=crash"}},
		{"another category is another rule", []state.Rule{rule(1, pubCh, state.Watch, 0)}, admin, "watch support",
			"Rule created", []string{"watch normal", "watch normal cat=2"}},
		{"duplicates with the same tags collapse into the oldest", []state.Rule{rule(2, pubCh, state.Watch, 2, "bug"), rule(1, pubCh, state.Follow, 2, "bug")},
			admin, "mute support tag:bug", "Rule updated", []string{"mute normal cat=2 tags=bug"}},
		{"duplicates with the same filter are unioned into one", []state.Rule{rule(1, pubCh, state.Watch, 2, "bug"), rule(2, pubCh, state.Watch, 2, "crash")},
			admin, "watch support tag:ui", "Rule updated", []string{"watch normal cat=2 tags=bug,crash,ui"}},
		{"a union adding nothing changes nothing", []state.Rule{rule(1, pubCh, state.Watch, 2, "bug", "crash")}, admin, "watch support tag:bug",
			"This channel already has that rule", []string{"watch normal cat=2 tags=bug,crash"}},
		{"group rules merge by group", []state.Rule{groupRule(1, privCh, state.GroupMessage, state.Watch, "staff")}, privAdm, "mute group:staff",
			"Rule updated", []string{"mute group_message group=staff"}},
		{"a group's messages and mentions are different rules", []state.Rule{groupRule(1, privCh, state.GroupMessage, state.Watch, "staff")}, privAdm, "watch mention:staff",
			"Rule created", []string{"watch group_message group=staff", "watch group_mention group=staff"}},
		{"other channels' rules are not merged", []state.Rule{rule(1, privCh, state.Watch, 2)}, admin, "mute support",
			"Rule created", []string{"mute normal cat=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExecEnv(t, tt.rules...)
			got := x.run(t, tt.as, tt.cmd).Text.String()
			if !strings.HasPrefix(got, tt.reply) {
				t.Errorf("reply %q, want it to start with %q", got, tt.reply)
			}
			if after := x.store.describe(t, tt.as.ch.String()); !slices.Equal(after, tt.want) {
				t.Errorf("rules after:\n got %q\nwant %q", after, tt.want)
			}
		})
	}
}

// TestAddRule is the CLI and config-seed path: admin implied, same checks, idempotent.
func TestAddRule(t *testing.T) {
	x := newExecEnv(t)
	ctx := t.Context()
	spec := RuleSpec{Filter: state.Watch, Category: "support", Tags: []string{"bug"}}
	reply, err := x.e.AddRule(ctx, pubCh, spec)
	if err != nil || reply.Text.String() != "Rule created: watch support with tag bug" || len(reply.Announce) != 0 {
		t.Fatalf("AddRule = %q (announce %q), %v", reply.Text.String(), reply.Announce.String(), err)
	}
	reply, err = x.e.AddRule(ctx, pubCh, spec)
	if err != nil || !strings.HasPrefix(reply.Text.String(), "This channel already has that rule") {
		t.Fatalf("AddRule again = %q, %v", reply.Text.String(), err)
	}
	if x.changed != 1 {
		t.Errorf("OnRulesChanged called %d times, want 1", x.changed)
	}

	_, err = x.e.AddRule(ctx, pubCh, RuleSpec{Filter: state.Watch, Category: "staff"})
	var ref *Refusal
	if !errors.As(err, &ref) || !strings.Contains(err.Error(), "There is no category staff") {
		t.Errorf("AddRule of a restricted category to a public channel: %v", err)
	}

	r, err := x.e.ResolveRule(ctx, privCh, RuleSpec{Filter: state.Mute, Mention: "devs"})
	want := state.Rule{Channel: "slack:CPRIV", Type: state.GroupMention, Filter: state.Mute, Group: "devs"}
	if err != nil || !slicesEqualRule(r, want) {
		t.Errorf("ResolveRule = %+v, %v; want %+v", r, err, want)
	}

	x.store.fail = errFake
	if _, err := x.e.AddRule(ctx, pubCh, RuleSpec{Filter: state.Mute, Category: "support"}); !errors.Is(err, errFake) {
		t.Errorf("AddRule with a failing store: %v, want the store's error", err)
	}
}

func slicesEqualRule(a, b state.Rule) bool {
	return a.ID == b.ID && a.Channel == b.Channel && a.Type == b.Type && a.Filter == b.Filter &&
		a.CategoryID == b.CategoryID && a.Group == b.Group && slices.Equal(a.Tags, b.Tags)
}

func TestAnnounceWithoutInvokerName(t *testing.T) {
	x := newExecEnv(t)
	got := x.e.Execute(t.Context(), adapters.Command{Channel: pubCh, IsAdmin: true, Text: "watch support"})
	want := "Someone changed this channel's forum notifications. Rule created: watch support"
	if s := got.Announce.String(); s != want {
		t.Errorf("announce %q, want %q", s, want)
	}
}

func TestTextBotStatus(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := since.Add(time.Hour)
	tests := []struct {
		name string
		s    BotStatus
		want string
	}{
		{"healthy, nothing waiting, one request", BotStatus{LastPoll: now.Add(-3 * time.Second), ForumRequests: 1, PerMinute: 30, Since: since, Now: now},
			"Forum: ok, last polled 2026-12-01 10:59 UTC.\nDelivery here: nothing waiting.\nForum API: 1 request since 2026-12-01 10:00 UTC (limit 30 a minute).\n"},
		{"one waiting", BotStatus{Pending: 1, OldestPending: now.Add(-90 * time.Second), LastPoll: now, PerMinute: 30, Since: since, Now: now},
			"Forum: ok, last polled 2026-12-01 11:00 UTC.\n1 notification waiting to be delivered here, the oldest for 1m30s.\nForum API: 0 requests since 2026-12-01 10:00 UTC (limit 30 a minute).\n"},
		{"forum unreachable", BotStatus{Pending: 2, OldestPending: now.Add(-time.Minute), LastPoll: now.Add(-10 * time.Minute), ForumErrorKind: "network", ForumRequests: 12, PerMinute: 30, Since: since, Now: now},
			"Forum: failing (a network problem: the forum's address did not resolve or did not answer); last successful poll 2026-12-01 10:50 UTC. New posts are announced once it answers again.\n" +
				"2 notifications waiting to be delivered here, the oldest for 1m0s.\nForum API: 12 requests since 2026-12-01 10:00 UTC (limit 30 a minute).\n"},
		{"changes followed", BotStatus{LastPoll: now, PerMinute: 30, Since: since, Now: now, Edits: 3, Removals: 1},
			"Forum: ok, last polled 2026-12-01 11:00 UTC.\nDelivery here: nothing waiting.\nForum API: 0 requests since 2026-12-01 10:00 UTC (limit 30 a minute).\n" +
				"Forum changes followed in chat since 2026-12-01 10:00 UTC: 3 edits, 1 removal, 0 moves, 0 tag notifications.\n"},
		{"moves and new tags followed", BotStatus{LastPoll: now, PerMinute: 30, Since: since, Now: now, Moves: 1, TagNotices: 2},
			"Forum: ok, last polled 2026-12-01 11:00 UTC.\nDelivery here: nothing waiting.\nForum API: 0 requests since 2026-12-01 10:00 UTC (limit 30 a minute).\n" +
				"Forum changes followed in chat since 2026-12-01 10:00 UTC: 0 edits, 0 removals, 1 move, 2 tag notifications.\n"},
		{"never polled, key refused", BotStatus{ForumErrorKind: "auth", PerMinute: 30, Since: since, Now: now},
			"Forum: failing (the forum refused the bot's API key or user). New posts are announced once it answers again.\nDelivery here: nothing waiting.\nForum API: 0 requests since 2026-12-01 10:00 UTC (limit 30 a minute).\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TextBotStatus(tt.s).String(); got != tt.want {
				t.Errorf("\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		as      execAs
		cmd     string
		setup   func(*execEnv)
		verb    string
		outcome Outcome
	}{
		{"help", member, "help", nil, "help", OutcomeOK},
		{"a typo", member, "wtch support", nil, "", OutcomeInvalid},
		{"a member may not change rules", member, "watch support", nil, "watch", OutcomeDenied},
		{"a rule is created", admin, "watch support", nil, "watch", OutcomeOK},
		{"an unknown category", admin, "watch nope", nil, "watch", OutcomeRefused},
		{"the forum is down", admin, "watch support", func(x *execEnv) { x.catalog.fail = errors.New("503") }, "watch", OutcomeFailed},
		{"no such rule", admin, "remove 4", nil, "remove", OutcomeRefused},
		{"the sample fails", admin, "test", func(x *execEnv) { x.sampler.err = errFake }, "test", OutcomeFailed},
		{"a transcript", admin, "post 3", nil, "post", OutcomeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExecEnv(t)
			if tt.setup != nil {
				tt.setup(x)
			}
			var verbs []string
			var outcomes []Outcome
			x.e.OnOutcome = func(verb string, o Outcome) { verbs, outcomes = append(verbs, verb), append(outcomes, o) }
			x.run(t, tt.as, tt.cmd)
			if len(outcomes) != 1 || verbs[0] != tt.verb || outcomes[0] != tt.outcome {
				t.Errorf("OnOutcome got %q %q, want once %q %q", verbs, outcomes, tt.verb, tt.outcome)
			}
		})
	}
}
