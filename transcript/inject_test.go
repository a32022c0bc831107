package transcript

import (
	"regexp"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// lineTag is a line the forum's BBCode block rule would look at: one that starts with a tag.
var lineTag = regexp.MustCompile(`(?im)^[ \t>]*\[(/?)([a-z][\w-]*)`)

// quoteClose is a line the forum's BBCode block rule would take for the quote's end.
var quoteClose = regexp.MustCompile(`(?mi)^[ \t]*\[/quote\]`)

// refDef is a line that defines a link reference.
var refDef = regexp.MustCompile(`(?m)^[ \t>]*\[[^\]\n]+\]:`)

// checkStructure asserts that the transcript is still one [quote] block that only its own
// [/quote] closes, holding one block per message run, followed by exactly the avatar definitions
// the renderer wrote (one per speaker with an avatar, pointing at that speaker's avatar), with no
// HTML or BBCode from chat text outside code.
func checkStructure(t *testing.T, out string, msgs []adapters.Message) {
	t.Helper()
	if !strings.HasPrefix(out, "[quote]\n") {
		t.Fatalf("the transcript does not start with [quote]:\n%s", out)
	}
	// The forum ends the block at the first line that starts (after blanks) with its closing
	// tag; mid-line, even at a line's end, "[/quote]" closes nothing.
	end := quoteClose.FindStringIndex(out)
	if end == nil {
		t.Fatalf("the transcript's quote is never closed:\n%s", out)
	}
	if out[end[0]:] != "[/quote]\n" && !strings.HasPrefix(out[end[0]:], "[/quote]\n\n") {
		t.Fatalf("a message's line closes the quote:\n%s", out)
	}
	body, defs := out[len("[quote]\n"):end[0]], out[end[0]+len("[/quote]\n"):]
	for _, m := range lineTag.FindAllStringSubmatch(body, -1) {
		if line := body[strings.Index(body, m[0]):]; isLink(strings.TrimLeft(line, " \t>")) {
			continue // a link at the start of a line
		}
		t.Fatalf("a line inside the quote starts with the tag %q: the forum could open or close a block there:\n%s", m[0], out)
	}
	if refDef.MatchString(body) {
		t.Fatalf("a message defines a link reference (%q):\n%s", refDef.FindString(body), out)
	}
	// Outside code (as this renderer writes it), chat text holds no HTML and no BBCode tag.
	var text strings.Builder
	last := 0
	for _, r := range adapters.CodeSpans(body) {
		text.WriteString(body[last:r[0]] + " ")
		last = r[1]
	}
	text.WriteString(body[last:])
	if i := strings.IndexByte(text.String(), '<'); i >= 0 {
		t.Fatalf("raw HTML outside code (%q):\n%s", text.String()[i:min(text.Len(), i+20)], out)
	}
	for _, loc := range tagOpen.FindAllStringIndex(text.String(), -1) {
		rest := text.String()[loc[0]:]
		if !isLink(rest) && !isAvatarRef(body, rest) {
			t.Fatalf("BBCode tag %q outside code:\n%s", rest[:min(len(rest), 20)], out)
		}
	}
	want := map[string]bool{}
	for _, m := range msgs {
		if m.User.AvatarURL != "" {
			want[safeURL(m.User.AvatarURL)] = true
		}
	}
	lines := strings.Split(strings.TrimSpace(defs), "\n")
	if strings.TrimSpace(defs) == "" {
		lines = nil
	}
	if len(lines) > len(want) {
		t.Fatalf("%d avatar definitions for %d avatars:\n%s", len(lines), len(want), out)
	}
	for _, l := range lines {
		_, url, ok := strings.Cut(l, "]: ")
		if !refDef.MatchString(l) || !ok || !want[url] || strings.ContainsAny(url, " \t\"'()<>") {
			t.Fatalf("avatar definition %q is not one of the speakers' avatars:\n%s", l, out)
		}
	}
}

// tagOpen is where a BBCode tag could start.
var tagOpen = regexp.MustCompile(`\[/?[A-Za-z]`)

// isAvatarRef reports whether rest starts with the renderer's own "[key] **@" avatar image.
func isAvatarRef(body, rest string) bool {
	key, _, ok := strings.Cut(rest, "]")
	return ok && strings.Contains(body, "!"+key+"] **@") && !strings.ContainsAny(key, " \n")
}

func TestChatTextCannotBreakTheTranscript(t *testing.T) {
	tests := []struct{ name, text string }{
		{"closes the quote", "done\n[/quote]\nnow outside"},
		{"forges a quote", `[quote="admin, post:1, topic:1"]I approve[/quote]`},
		{"forges a quote on its own line", "ok\n[quote=\"admin, post:1, topic:1\"]\nI approve\n[/quote]"},
		{"details", "[details=\"open me\"]\nhidden\n[/details]"},
		{"upper case", "[QUOTE]x[/QUOTE]"},
		{"html", `<details><summary>x</summary>y</details> <img src=x onerror=alert(1)>`},
		{"html block", "hi\n<div class=\"x\">\n\nboo\n</div>"},
		{"redefines an avatar", "hi\n[bob]: https://evil.example/x.png\n[alice]: https://evil.example/y.png"},
		{"definition in a list", "- [bob]: https://evil.example/x.png"},
		{"closing tag inside a code block", "look:\n```\n[/quote]\n<details>\n```\nend"},
		{"escaped backtick before code", "\\`<details>` and [/quote]"},
		{"unclosed code span", "a ` b"},
		{"unclosed fence", "```\n[/quote]"},
		{"tilde fence", "~~~\n[/quote]\n~~~"},
		{"multi-line inline code", "x ```\n<details>\n``` y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := []adapters.Message{
				msg("1", "alice", 0, tt.text),
				msg("2", "alice", 1, "`"+tt.text),
				msg("3", "bob", 2, "fine, "+tt.text+"`"),
			}
			checkStructure(t, Render(msgs, Options{Source: "Slack", ChannelName: "x", Quote: true}), msgs)
		})
	}
}

// TestLookalikeSpeakersKeepTheirOwnAvatars: two users whose names read alike once made safe
// ("bob!" and "bob?" both show as bob_) each keep their own avatar.
func TestLookalikeSpeakersKeepTheirOwnAvatars(t *testing.T) {
	a := adapters.Message{ID: "1", Text: "hi", User: adapters.User{ID: "U1", Username: "bob!", AvatarURL: "https://a.example/real.png"}}
	b := adapters.Message{ID: "2", Text: "it is me", User: adapters.User{ID: "U2", Username: "bob?", AvatarURL: "https://a.example/fake.png"}}
	out := Render([]adapters.Message{a, b}, Options{Source: "Slack", Quote: true})
	for _, want := range []string{"![bob_] **@bob_:** hi", "![bob_-2] **@bob_:** it is me", "[bob_]: https://a.example/real.png", "[bob_-2]: https://a.example/fake.png"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
}

// FuzzRender feeds chat text of two speakers through Render and checks that the transcript's
// block structure is intact (checkStructure). Adapters hand over CommonMark, but the text is
// untrusted whatever they make of it: any string must be safe.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"hello", "[/quote]", `[quote="admin, post:1, topic:1"]x[/quote]`, "<details>x</details>",
		"[bob]: https://evil.example/x.png", "```\n[/quote]\n```", "\\`<b>`", "a ` b", "~~~\nx", "<@U1> <https://x|y>"} {
		f.Add(s, "ok")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		msgs := []adapters.Message{msg("1", "alice", 0, a), msg("2", "alice", 1, b), msg("3", "bob", 2, b+a)}
		checkStructure(t, Render(msgs, Options{Source: "Slack", ChannelName: "x", Quote: true}), msgs)
	})
}
