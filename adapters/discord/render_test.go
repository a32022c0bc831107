package discord

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
)

func TestRenderText(t *testing.T) {
	adaptertest.Render(t, renderText, []adaptertest.RenderCase{
		{Name: "plain text stays", In: adapters.Text{{Text: "Rules of this channel:"}}, Want: "Rules of this channel:"},
		{Name: "bold and italic", In: adapters.Text{{Kind: adapters.Bold, Text: "1."}, {Text: " watch "}, {Kind: adapters.Italic, Text: "support"}}, Want: "**1.** watch *support*"},
		{Name: "markdown in plain text is escaped", In: adapters.Text{{Text: "a *b* _c_ ~d~ `e` |f| [g](h) <@1> > q"}}, Want: `a \*b\* \_c\_ \~d\~ \` + "`" + `e\` + "`" + ` \|f\| \[g\]\(h\) \<@1\> \> q`},
		{Name: "line-start markers are escaped there only", In: adapters.Text{{Text: "# h\n- x\n1. y\na-b #c 2.5"}}, Want: "\\# h\n\\- x\n1\\. y\na-b #c 2.5"},
		{Name: "a line after bold text starts a list no more", In: adapters.Text{{Kind: adapters.Bold, Text: "a"}, {Text: "\n- b"}}, Want: "**a**\n\\- b"},
		{Name: "code block ending in a line break", In: adapters.Text{{Kind: adapters.CodeBlock, Text: "x\n"}}, Want: "```\nx\n```"},
		{Name: "code keeps its text", In: adapters.Text{{Kind: adapters.Code, Text: "tag:*bug*"}}, Want: "`tag:*bug*`"},
		{Name: "code with a backtick", In: adapters.Text{{Kind: adapters.Code, Text: "a`b"}}, Want: "`` a`b ``"},
		{Name: "code block fence cannot be closed from inside", In: adapters.Text{{Kind: adapters.CodeBlock, Text: "x\n```\ny"}}, Want: "```\nx\n`\u200b``\ny\n```"},
		{Name: "link with text", In: adapters.Text{{Kind: adapters.Link, Text: "the topic", URL: "https://forum.example.org/t/1"}}, Want: "[the topic](<https://forum.example.org/t/1>)"},
		{Name: "bare link", In: adapters.Text{{Kind: adapters.Link, Text: "https://f.example/t/1", URL: "https://f.example/t/1"}}, Want: "<https://f.example/t/1>"},
		{Name: "link closing paren is encoded", In: adapters.Text{{Kind: adapters.Link, Text: "x", URL: "https://f.example/a)b"}}, Want: "[x](<https://f.example/a%29b>)"},
		{Name: "javascript link is only text", In: adapters.Text{{Kind: adapters.Link, Text: "x", URL: "javascript:alert(1)"}}, Want: "x"},
		{Name: "mass mention defused", In: adapters.Text{{Text: "@everyone"}}, Want: "@\u2060everyone"},
	})
}

func TestNotificationEmbed(t *testing.T) {
	n := adapters.Notification{
		TopicTitle: "Installer *fails*", URL: "https://forum.example.org/t/x/42/1",
		AuthorName: "Alice Smith", AuthorUser: "alice", AvatarURL: "https://forum.example.org/a.png",
		CategoryPath: "Support/Installs", CategoryColor: "0088CC", Tags: []string{"bug", "linux"},
		Excerpt: "Step 3 fails.", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	e := notificationEmbed(n)
	checks := []struct{ what, got, want string }{
		{"title", e.Title, `Installer \*fails\*`},
		{"url", e.URL, n.URL},
		{"description", e.Description, "Step 3 fails."},
		{"author", e.Author.Name, "Alice Smith (@alice)"},
		{"icon", e.Author.IconURL, n.AvatarURL},
		{"category", e.Fields[0].Value, `\[Support/Installs\]`},
		{"tags", e.Fields[1].Value, "bug, linux"},
		{"timestamp", e.Timestamp, "2026-01-02T03:04:05Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if e.Color != 0x0088CC {
		t.Errorf("color = %#x, want 0x0088cc", e.Color)
	}
	long := n
	long.TopicTitle, long.Excerpt, long.URL, long.AvatarURL = strings.Repeat("t", 300), strings.Repeat("e", 5000), "/relative", "ftp://x"
	e = notificationEmbed(long)
	if len([]rune(e.Title)) > maxEmbedTitle || len([]rune(e.Description)) > maxEmbedDesc {
		t.Errorf("limits not kept: title %d, description %d", len([]rune(e.Title)), len([]rune(e.Description)))
	}
	if e.URL != "" || e.Author.IconURL != "" {
		t.Errorf("non-http URLs were kept: %q %q", e.URL, e.Author.IconURL)
	}
}

func TestCommandText(t *testing.T) {
	opt := func(name string, typ discordgo.ApplicationCommandOptionType, v any) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: typ, Value: v}
	}
	sub := func(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.ApplicationCommandInteractionData {
		return discordgo.ApplicationCommandInteractionData{Name: commandName, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}}}
	}
	str, num, boolean := discordgo.ApplicationCommandOptionString, discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionBoolean
	tests := []struct {
		name string
		data discordgo.ApplicationCommandInteractionData
		want string
	}{
		{"status", sub("status"), "status"},
		{"watch a category with tags", sub("watch", opt(optCategory, str, "support"), opt(optTags, str, "bug, linux")), "watch support tag:bug tag:linux"},
		{"tags only", sub("mute", opt(optTags, str, "tag:spam")), "mute tag:spam"},
		{"subcategory", sub("thread", opt(optCategory, str, "support/installs")), "thread support/installs"},
		{"remove", sub("remove", opt(optN, num, 3.0)), "remove 3"},
		{"post a count", sub("post", opt(optCount, num, 30.0)), "post 30"},
		{"post a link to a topic", sub("post", opt(optLink, str, "https://discord.com/channels/1/2/3"), opt(optTo, str, "https://f.example/t/5")), "post https://discord.com/channels/1/2/3 to https://f.example/t/5"},
		{"post a thread", sub("post", opt(optThread, boolean, true)), "post thread"},
		{"run a whole line", sub(subRun, opt(optCommand, str, "/discourse watch group:staff")), "watch group:staff"},
		{"no subcommand", discordgo.ApplicationCommandInteractionData{Name: commandName}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := commandText(tt.data); got != tt.want {
				t.Errorf("commandText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseMessageLink(t *testing.T) {
	tests := []struct {
		link          string
		guild, ch, id string
		ok            bool
	}{
		{"https://discord.com/channels/1/2/3", "1", "2", "3", true},
		{"<https://canary.discord.com/channels/1/2/3>", "1", "2", "3", true},
		{"https://discordapp.com/channels/@me/2/3", "@me", "2", "3", true},
		{"https://discord.com/channels/1/2", "", "", "", false},
		{"https://evil.example/channels/1/2/3", "", "", "", false},
		{"https://app.slack.com/archives/C1/p123", "", "", "", false},
		{"https://discord.com/channels/1/2/x", "", "", "", false},
	}
	for _, tt := range tests {
		g, c, m, ok := ParseMessageLink(tt.link)
		if g != tt.guild || c != tt.ch || m != tt.id || ok != tt.ok {
			t.Errorf("ParseMessageLink(%q) = %q %q %q %v, want %q %q %q %v", tt.link, g, c, m, ok, tt.guild, tt.ch, tt.id, tt.ok)
		}
	}
}

func TestMatchCategories(t *testing.T) {
	cats := []string{"announcements", "support", "support/installs", "dev-support", "meta"}
	for _, tt := range []struct {
		typed string
		want  string
	}{
		{"", "announcements support support/installs dev-support meta"},
		{"sup", "support support/installs dev-support"},
		{"INST", "support/installs"},
		{"zzz", ""},
	} {
		if got := strings.Join(matchCategories(cats, tt.typed), " "); got != tt.want {
			t.Errorf("matchCategories(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = "c" + strings.Repeat("x", i)
	}
	if got := len(matchCategories(many, "c")); got != maxChoices {
		t.Errorf("%d choices, want at most %d", got, maxChoices)
	}
}

func TestClassify(t *testing.T) {
	rest := func(status, code int) error {
		return &discordgo.RESTError{Response: &http.Response{StatusCode: status, Status: http.StatusText(status), Header: http.Header{"Retry-After": {"3"}}},
			Message: &discordgo.APIErrorMessage{Code: code}}
	}
	tests := []struct {
		name      string
		err       error
		retry     time.Duration
		permanent bool
	}{
		{"rate limit error", &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &discordgo.TooManyRequests{RetryAfter: 7 * time.Second}}}, 7 * time.Second, false},
		{"429 REST error", rest(429, 0), 3 * time.Second, false},
		{"403 missing permissions", rest(403, 50013), 0, true},
		{"404 unknown channel", rest(404, 10003), 0, true},
		{"400 bad request", rest(400, 50035), 0, true},
		{"500 server error", rest(500, 0), 0, false},
		{"network error", errors.New("dial tcp: connection refused"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("post", tt.err)
			wait, ok := adapters.RetryAfterOf(err)
			if ok != (tt.retry > 0) || wait != tt.retry {
				t.Errorf("retry after = %v, %v; want %v", wait, ok, tt.retry)
			}
			if adapters.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v", adapters.IsPermanent(err), tt.permanent)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	err := errors.New(`Post "https://discord.com/api/v9/interactions/123/aW50ZXJhY3Rpb246c2VjcmV0/callback": dial tcp: refused`)
	got := redact(err).Error()
	if strings.Contains(got, "aW50ZXJhY3Rpb246c2VjcmV0") || !strings.Contains(got, "interactions/123/<redacted>/callback") {
		t.Errorf("redact = %q", got)
	}
	if !errors.Is(redact(err), err) {
		t.Error("redact lost the error chain")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"token only", Config{Token: "abc"}, true},
		{"token with Bot prefix", Config{Token: "Bot abc"}, true},
		{"empty token", Config{}, false},
		{"bad api url", Config{Token: "abc", APIURL: "discord.com"}, false},
		{"bad gateway url", Config{Token: "abc", GatewayURL: "http://x"}, false},
		{"bad guild id", Config{Token: "abc", Guilds: []string{"my server"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, nil)
			if (err == nil) != tt.ok {
				t.Errorf("New error = %v, want ok %v", err, tt.ok)
			}
		})
	}
	if got := intents(false); got != discordgo.IntentGuilds|discordgo.IntentGuildMessages {
		t.Errorf("intents without transcripts = %d", got)
	}
	if got := intents(true); got&discordgo.IntentMessageContent == 0 {
		t.Errorf("intents with transcripts = %d, lack message content", got)
	}
	if got := InvitePermissions(); got != 309237730304 {
		t.Errorf("InvitePermissions = %d, want the documented 309237730304", got)
	}
}

func TestTruncateLeavesNoDanglingEscape(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{`ab\*cd`, 4, `ab…`},       // cut after an escaping backslash: drop it
		{`a\\\*cd`, 5, `a\\…`},     // an escaped backslash, then an escaping one: drop only the latter
		{`a\\b\\cd`, 7, `a\\b\\…`}, // an escaped backslash is kept whole
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// A long reply is cut into messages within Discord's limit that together keep every byte, even
// where the text is not valid UTF-8 (a forum post can hold anything).
func TestSplitContent(t *testing.T) {
	for name, in := range map[string]string{
		"short":          "hello",
		"long, no lines": strings.Repeat("x", 4500),
		"long, lines":    strings.Repeat("line of text\n", 400),
		"multi-byte":     strings.Repeat("é", 4100),
		"invalid UTF-8":  strings.Repeat("a\xff", 2500),
		"invalid, lines": strings.Repeat("\xfe\xff\n", 1500),
	} {
		t.Run(name, func(t *testing.T) {
			parts := splitContent(in)
			for i, p := range parts {
				if n := utf8.RuneCountInString(p); n > maxContent {
					t.Fatalf("part %d has %d characters, over %d", i, n, maxContent)
				}
			}
			joined := strings.Join(parts, "")
			if strip := func(s string) string { return strings.ReplaceAll(s, "\n", "") }; strip(joined) != strip(in) {
				t.Fatalf("the parts lose or add text: %d bytes in, %d out", len(in), len(joined))
			}
		})
	}
}
