package discourse_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// Samples marked "fixture" are cooked HTML from ../shared/discourse-api/recorded/; the recorded
// responses hold no quote, code, onebox or mention, so those samples are cooked HTML in the
// forum's exact markup (PrettyText's output, as Discourse's own specs show it).
func TestExcerpt(t *testing.T) {
	tests := []struct {
		name   string
		cooked string
		max    int
		want   string
	}{
		{
			name:   "fixture: emoji image becomes its code, plain image dropped",
			cooked: "<p>The first paragraph of this pinned topic will be visible as a welcome message to all new visitors on your homepage. It\u2019s important!</p>\n<p><strong>Edit this</strong> into a brief description of your community:</p>\n<ul>\n<li>Who is it for?</li>\n<li>What can they find here?</li>\n</ul>\n<p><img src=\"//localhost/images/welcome/discourse-edit-post-animated.gif\" width=\"508\" height=\"106\"></p>\n<p>You may want to close this topic via the admin <img src=\"//localhost/images/emoji/twitter/wrench.png?v=6\" title=\":wrench:\" class=\"emoji\" alt=\":wrench:\"> (at the upper right and bottom).</p>",
			max:    400,
			want:   "The first paragraph of this pinned topic will be visible as a welcome message to all new visitors on your homepage. It\u2019s important! Edit this into a brief description of your community: Who is it for? What can they find here? You may want to close this topic via the admin :wrench: (at the upper right and bottom).",
		},
		{
			name:   "fixture: links reduced to their text",
			cooked: "<ul>\n<li><p>For more information on the Discourse project and its goals, visit <a href=\"http://www.discourse.org\" rel=\"nofollow\">http://www.discourse.org</a></p></li>\n<li><p>Source: <a href=\"https://github.com/discourse/discourse\" rel=\"nofollow\">the code</a></p></li>\n</ul>",
			max:    400,
			want:   "For more information on the Discourse project and its goals, visit http://www.discourse.org Source: the code",
		},
		{
			name:   "fixture: an image-only post is empty",
			cooked: "<p><img src=\"http://i288.photobucket.com/albums/ll164/stienman/ahh.gif\" alt=\"image\" title=\"\" width=\"36\" height=\"22\"></p>",
			max:    400,
			want:   "",
		},
		{
			name:   "fixture: line break collapses",
			cooked: "<p>What? So I have to post this every day? <br><img src=\"http://q101.com/GroundhogDay.gif\" alt=\"image\" width=\"650\" height=\"824\"></p>",
			max:    400,
			want:   "What? So I have to post this every day?",
		},
		{
			name:   "quote kept after its author, marked «»",
			cooked: "<aside class=\"quote no-group\" data-username=\"eviltrout\" data-post=\"1\" data-topic=\"2\">\n<div class=\"title\">\n<div class=\"quote-controls\"></div>\n<img loading=\"lazy\" alt=\"\" width=\"24\" height=\"24\" src=\"/user_avatar/x/eviltrout/48/1_2.png\" class=\"avatar\"> eviltrout:</div>\n<blockquote>\n<p>a quote</p>\n<p>second line</p>\n</blockquote>\n</aside>\n<p>I agree.</p>",
			max:    400,
			want:   "eviltrout: «a quote second line» I agree.",
		},
		{
			name:   "markdown blockquote",
			cooked: "<blockquote>\n<p>indent 1<br>\nindent 2</p>\n</blockquote>\n<p>after</p>",
			max:    400,
			want:   "«indent 1 indent 2» after",
		},
		{
			name:   "code kept, inline and block",
			cooked: "<p>Run <code>make test</code> then:</p>\n<pre><code class=\"lang-go\">func main() {\n\tfmt.Println(\"hi\")\n}\n</code></pre>",
			max:    400,
			want:   "Run make test then: func main() { fmt.Println(\"hi\") }",
		},
		{
			name:   "onebox dropped, its link line kept once as text",
			cooked: "<p>Look at this:</p>\n<aside class=\"onebox allowlistedgeneric\" data-onebox-src=\"https://discourse.org/team\">\n  <header class=\"source\">\n      <a href=\"https://discourse.org/team\" target=\"_blank\" rel=\"nofollow ugc noopener\">discourse.org</a>\n  </header>\n  <article class=\"onebox-body\">\n<h3><a href=\"https://discourse.org/team\">a</a></h3>\n  </article>\n</aside>\n<p>Nice, right?</p>",
			max:    400,
			want:   "Look at this: Nice, right?",
		},
		{
			name:   "mentions kept as text",
			cooked: "<p>Hey <a class=\"mention\" href=\"/u/sam\">@sam</a> and <a class=\"mention-group notify\" href=\"/groups/support\">@support</a>, see this.</p>",
			max:    400,
			want:   "Hey @sam and @support, see this.",
		},
		{
			name:   "lightbox image and its file-name caption dropped",
			cooked: "<p>Screenshot:</p><div class=\"lightbox-wrapper\"><a class=\"lightbox\" href=\"/uploads/big.png\"><img src=\"/uploads/small.png\" alt=\"shot\"><div class=\"meta\"><span class=\"filename\">shot.png</span><span class=\"informations\">1024×768 50 KB</span></div></a></div>",
			max:    400,
			want:   "Screenshot:",
		},
		{
			name:   "spoiler hidden",
			cooked: "<p>The butler did it: <span class=\"spoiler\">it was Bob</span></p>",
			max:    400,
			want:   "The butler did it: [spoiler]",
		},
		{
			name:   "entities decoded, markup in text stays text",
			cooked: "<p>5 &lt; 6 &amp;&amp; &quot;&lt;b&gt;&quot;</p>",
			max:    400,
			want:   "5 < 6 && \"<b>\"",
		},
		{
			name:   "cut at a word boundary with an ellipsis",
			cooked: "<p>one two three four five six</p>",
			max:    15,
			want:   "one two three…",
		},
		{
			name:   "cut counts characters, not bytes",
			cooked: "<p>ééééé ééééé ééééé</p>",
			max:    12,
			want:   "ééééé ééééé…",
		},
		{
			name:   "one long word is cut inside",
			cooked: "<p>Supercalifragilisticexpialidocious</p>",
			max:    10,
			want:   "Supercali…",
		},
		{
			name:   "short text is not cut",
			cooked: "<p>short</p>",
			max:    5,
			want:   "short",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := discourse.Excerpt(tt.cooked, tt.max)
			if got != tt.want {
				t.Errorf("Excerpt =\n %q\nwant\n %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.max {
				t.Errorf("excerpt has %d characters, more than %d", n, tt.max)
			}
		})
	}
}

func TestMentionedGroups(t *testing.T) {
	tests := []struct {
		name, cooked string
		want         []string
	}{
		{"none", "<p>Hey <a class=\"mention\" href=\"/u/sam\">@sam</a></p>", nil},
		{"two, each once", "<p><a class=\"mention-group notify\" href=\"/groups/support\">@support</a> <a class=\"mention-group\" href=\"/groups/Staff\">@Staff</a> <a class=\"mention-group notify\" href=\"/groups/support\">@support</a></p>", []string{"support", "Staff"}},
		{"inside a quote too", "<aside class=\"quote\"><blockquote><p><a class=\"mention-group\" href=\"/groups/ops\">@ops</a></p></blockquote></aside>", []string{"ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := discourse.MentionedGroups(tt.cooked); !slices.Equal(got, tt.want) {
				t.Errorf("MentionedGroups = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzExcerpt(f *testing.F) {
	f.Add("<p>hello <b>world</b></p>", 10)
	f.Add("<aside class=quote><blockquote>x", 3)
	f.Fuzz(func(t *testing.T, cooked string, max int) {
		max = max%500 + 1
		if max < 1 {
			max = -max + 1
		}
		got := discourse.Excerpt(cooked, max)
		if utf8.RuneCountInString(got) > max || strings.Contains(got, "  ") {
			t.Fatalf("Excerpt(%q, %d) = %q", cooked, max, got)
		}
	})
}

func TestAvatarURL(t *testing.T) {
	_, c := newForum(t)
	base := c.BaseURL()
	tests := []struct{ template, want string }{
		{"/user_avatar/localhost/system/{size}/1_2.png", base + "/user_avatar/localhost/system/90/1_2.png"},
		{"//www.gravatar.com/avatar/3dca.png?s={size}&r=pg", "http://www.gravatar.com/avatar/3dca.png?s=90&r=pg"},
		{"https://cdn.example.org/a/{size}.png", "https://cdn.example.org/a/90.png"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := c.AvatarURL(tt.template, discourse.AvatarSize); got != tt.want {
			t.Errorf("AvatarURL(%q) = %q, want %q", tt.template, got, tt.want)
		}
	}
}
