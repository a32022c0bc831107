package transcript

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func msg(id, user string, at time.Duration, text string) adapters.Message {
	return adapters.Message{
		ID: adapters.MessageRef(id), Text: text, Time: t0.Add(at),
		User: adapters.User{ID: "id-" + user, Username: user, AvatarURL: "https://chat.example/avatars/" + user + ".png"},
	}
}

func ids(msgs []adapters.Message) string {
	var s []string
	for _, m := range msgs {
		s = append(s, string(m.ID))
	}
	return strings.Join(s, ",")
}

// timeline makes messages a minute apart, with a longer pause before the ones named in gaps.
func timeline(n int, gaps map[int]time.Duration) []adapters.Message {
	var out []adapters.Message
	at := time.Duration(0)
	for i := 1; i <= n; i++ {
		at += time.Minute + gaps[i]
		out = append(out, msg(fmt.Sprint(i), "u", at, "m"))
	}
	return out
}

func TestGuess(t *testing.T) {
	tests := []struct {
		name      string
		msgs      []adapters.Message
		wantFirst string
	}{
		{"no pause: the last 10", timeline(30, nil), "21"},
		{"fewer than 10, no pause: all", timeline(4, nil), "1"},
		{"a pause: start right after it", timeline(30, map[int]time.Duration{12: 10 * time.Minute}), "12"},
		{"the last pause wins", timeline(30, map[int]time.Duration{12: 10 * time.Minute, 20: 5 * time.Minute}), "20"},
		{"a pause among the newest 5 is ignored", timeline(30, map[int]time.Duration{12: 10 * time.Minute, 27: 10 * time.Minute}), "12"},
		{"the 5th newest may start it", timeline(30, map[int]time.Duration{26: 10 * time.Minute}), "26"},
		{"exactly 3 minutes is no pause", timeline(30, map[int]time.Duration{15: 2 * time.Minute}), "21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.msgs, Range{})
			if err != nil {
				t.Fatal(err)
			}
			if string(got[0].ID) != tt.wantFirst {
				t.Errorf("first message = %s, want %s (picked %s)", got[0].ID, tt.wantFirst, ids(got))
			}
			if got[len(got)-1].ID != tt.msgs[len(tt.msgs)-1].ID {
				t.Errorf("the range does not run to the newest message: %s", ids(got))
			}
		})
	}
}

func TestSelect(t *testing.T) {
	msgs := timeline(8, nil)
	msgs[6].IsBot = true // the bot's own reply
	tests := []struct {
		name    string
		r       Range
		want    string
		wantErr error
	}{
		{"count", Range{Count: 3}, "5,6,8", nil},
		{"count beyond history takes all", Range{Count: 50}, "1,2,3,4,5,6,8", nil},
		{"from a message", Range{From: "5"}, "5,6,8", nil},
		{"the command itself is left out", Range{Count: 3, Exclude: []adapters.MessageRef{"8"}}, "4,5,6", nil},
		{"a thread: everything", Range{All: true}, "1,2,3,4,5,6,8", nil},
		{"over the maximum", Range{Count: 600, Max: 500}, "", ErrTooMany},
		{"a range over the maximum", Range{All: true, Max: 3}, "", ErrTooMany},
		{"nothing left", Range{Count: 1, Exclude: []adapters.MessageRef{"8"}, From: "8"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(msgs, tt.r)
			if tt.wantErr != nil || tt.want == "" {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != tt.want {
				t.Errorf("picked %s, want %s", ids(got), tt.want)
			}
		})
	}
}

// TestToMarkdown: adapters hand over CommonMark (their own tests convert each platform's markup);
// transcript keeps it and its code, and only makes it inert for the forum.
func TestToMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"see [the docs](https://x.org) and https://y.org", "see [the docs](https://x.org) and https://y.org"},
		{"**kept** @alice ~~gone~~ :tada:", "**kept** @alice ~~gone~~ :tada:"},
		{"1 < 2 && 3 > 2", "1 &lt; 2 && 3 > 2"}, // "<" becomes an entity: no HTML
		{"code `*not bold* <x>` ok", "code `*not bold* <x>` ok"},
		{"```\n*keep* <https://a|b>\n```", "```\n*keep* <https://a|b>\n```"},
		{"Logs: ```\nx\n``` done", "Logs: \n```\nx\n```\n done"}, // a block after text goes on lines of its own
		{"**bold** [l](https://x)", "**bold** [l](https://x)"},
	}
	for _, tt := range tests {
		if got := ToMarkdown(tt.in); got != tt.want {
			t.Errorf("ToMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// goldenMessages are messages as each platform's adapter hands them over: CommonMark.
func goldenMessages(platform string) []adapters.Message {
	switch platform {
	case "slack":
		m := []adapters.Message{
			msg("1", "alice", 0, "The installer hangs on [step 3](https://example.org/step3), @bob any idea?"),
			msg("2", "alice", time.Minute, "Logs: \n```\nerror: <nil> & more\n```"),
			msg("3", "bob", 2*time.Minute, "**Yes**: run it with `--verbose` :eyes:"),
		}
		m[0].Link = "https://team.slack.com/archives/C1/p1764064800000000"
		m[2].Files = []adapters.File{{Name: "screenshot.png", URL: "https://files.slack.com/s.png"}}
		return m
	case "discord":
		return []adapters.Message{
			msg("10", "carol", 0, "Is **3.2** out? <@id-dave>"),
			msg("11", "dave", time.Minute, "Yes :party: see ||spoilers|| and > quoted"),
		}
	case "mattermost":
		return []adapters.Message{
			msg("a", "erin", 0, "Release notes are in ~town-square"),
			msg("b", "frank", time.Minute, "```go\nfmt.Println(\"hi\")\n```"),
		}
	default: // telegram: from the chat log, entities already converted by the adapter
		m := []adapters.Message{
			msg("100", "grace", 0, "**Heads up:** the forum moves to [new.example](https://new.example)"),
			msg("101", "heidi", time.Minute, "thanks!"),
		}
		m[1].User.AvatarURL = ""
		return m
	}
}

func TestRenderGolden(t *testing.T) {
	titles := map[string]string{"slack": "Slack", "discord": "Discord", "mattermost": "Mattermost", "telegram": "Telegram"}
	for _, p := range []string{"slack", "discord", "mattermost", "telegram"} {
		t.Run(p, func(t *testing.T) {
			msgs := goldenMessages(p)
			got := Render(msgs, Options{Source: titles[p], ChannelName: "support", ChannelLink: "https://chat.example/support", Quote: true})
			path := filepath.Join("testdata", p+".md")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./transcript -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("render differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

func TestRenderShape(t *testing.T) {
	msgs := goldenMessages("slack")
	got := Render(msgs, Options{Source: "Slack", ChannelName: "#support"})
	if strings.Contains(got, "[quote]") {
		t.Error("Quote false still wrote [quote]")
	}
	if strings.Count(got, "**@alice:**") != 1 {
		t.Errorf("two messages in a row from alice should be one block:\n%s", got)
	}
	if strings.Count(got, "[alice]: https://chat.example/avatars/alice.png") != 1 {
		t.Errorf("alice's avatar should be defined once:\n%s", got)
	}
	if !strings.HasPrefix(got, "[**View in #support on Slack**](https://team.slack.com/archives/C1/p1764064800000000)") {
		t.Errorf("first line should link back to the first message:\n%s", got)
	}
}

func TestComposerURL(t *testing.T) {
	body := Render(goldenMessages("slack"), Options{Source: "Slack", ChannelName: "support", Quote: true})
	u, fits := ComposerURL("https://forum.example.org/", "Chat transcript", body, 7)
	if !fits {
		t.Fatalf("a short transcript does not fit: %d characters", len(u))
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	if parsed.Path != "/new-topic" || q.Get("body") != body || q.Get("title") != "Chat transcript" || q.Get("category_id") != "7" {
		t.Errorf("composer link does not decode to the transcript: %s", u)
	}
	long := strings.Repeat("a long line of chat ", 400)
	if _, fits := ComposerURL("https://forum.example.org", "t", long, 0); fits {
		t.Error("an 8 000-character body should not fit in a composer link")
	}
}

func BenchmarkRender500(b *testing.B) {
	var msgs []adapters.Message
	for i := range 500 {
		m := msg(fmt.Sprint(i), fmt.Sprintf("user%d", i%7), time.Duration(i)*time.Second,
			"see [the docs](https://example.org/x), @user1 **bold** and `code` & more :tada:")
		msgs = append(msgs, m)
	}
	b.ReportAllocs()
	for b.Loop() {
		Render(msgs, Options{Source: "Slack", ChannelName: "general", Quote: true})
	}
}
