package slack

import "testing"

// TestToCommonMark: Slack's markup arrives in transcripts as CommonMark, converted here and only
// outside code (these rows were transcript's own before adapters converted their markup).
func TestToCommonMark(t *testing.T) {
	names := map[string]string{"U1": "alice"}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
	tests := []struct{ in, want string }{
		{"see <https://x.org|the docs> and <https://y.org>", "see [the docs](https://x.org) and https://y.org"},
		{"hi <@U1> and <@U9> and <@U2|carol>", "hi @alice and @U9 and @carol"},
		{"in <#C1|general>, <!here>", "in #general, @here"},
		{"*bold* _it_ ~gone~ a*b*c", "**bold** *it* ~~gone~~ a*b*c"},
		{"1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"},
		{"code `*not bold* &lt;x&gt;` ok", "code `*not bold* <x>` ok"},
		{"```\n*keep* <https://a|b>\n```", "```\n*keep* <https://a|b>\n```"},
		{"Logs: ```\nerror: &lt;nil&gt;\n``` done", "Logs: \n```\nerror: <nil>\n```\n done"},
		{"<https://x.org|a [b] c>", `[a \[b\] c](https://x.org)`},
		{":tada: done", ":tada: done"},
	}
	for _, tt := range tests {
		if got := toCommonMark(tt.in, name); got != tt.want {
			t.Errorf("toCommonMark(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
