package matrix

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// liveMassMention is a mention that would ping a whole room: "@room" (Matrix), and the forms the
// other platforms' users paste.
var liveMassMention = regexp.MustCompile(`(?i)@(room|everyone|here|channel|all)\b`)

// allowedTags are the only elements the bot's formatted_body may hold.
var allowedTags = map[string]bool{"strong": true, "em": true, "code": true, "pre": true, "a": true, "br": true}

// FuzzRender: whatever the forum's text, a notification and a reply are m.notice events with
// valid UTF-8 within Matrix's size, that ping nobody, and whose formatted_body holds only the
// bot's own markup (no foreign tags, no javascript: links).
func FuzzRender(f *testing.F) {
	f.Add("Hello @room <b>bold</b>", "@everyone <script>alert(1)</script> & more", "Alice", "General", "https://forum.example/t/x/1/1", "bug")
	f.Add(strings.Repeat("é", 40000), "`@here`\n<a href=\"javascript:x\">y</a>", "", "", "javascript:alert(1)", "")
	f.Fuzz(func(t *testing.T, title, excerpt, author, category, url, tag string) {
		valid := utf8.ValidString(title + excerpt + author + category + url + tag)
		n := adapters.Notification{TopicTitle: title, Excerpt: excerpt, AuthorName: author, AuthorUser: author,
			CategoryPath: category, URL: url, Tags: []string{tag}}
		reply := adapters.Text{{Kind: adapters.Plain, Text: title}, {Kind: adapters.Bold, Text: excerpt},
			{Kind: adapters.Code, Text: author}, {Kind: adapters.Link, Text: category, URL: url}, {Kind: adapters.CodeBlock, Text: tag}}
		for what, c := range map[string][2]string{
			"notification": {notificationContent(n).Body, notificationContent(n).FormattedBody},
			"reply":        {noticeContent(reply).Body, noticeContent(reply).FormattedBody},
		} {
			for i, s := range c {
				part := []string{"body", "formatted_body"}[i]
				if valid && !utf8.ValidString(s) {
					t.Fatalf("%s %s is not valid UTF-8: %q", what, part, s)
				}
				if len(s) > maxBodyBytes {
					t.Fatalf("%s %s is %d bytes, over %d", what, part, len(s), maxBodyBytes)
				}
				if m := liveMassMention.FindString(html.UnescapeString(s)); m != "" {
					t.Fatalf("%s %s pings the room (%q): %q", what, part, m, s)
				}
			}
			z := html.NewTokenizer(strings.NewReader(c[1]))
			for {
				tt := z.Next()
				if tt == html.ErrorToken {
					break
				}
				if tt != html.StartTagToken && tt != html.EndTagToken && tt != html.SelfClosingTagToken {
					continue
				}
				tok := z.Token()
				if !allowedTags[tok.Data] {
					t.Fatalf("%s formatted_body holds a <%s> the bot did not write: %q", what, tok.Data, c[1])
				}
				for _, a := range tok.Attr {
					if a.Key != "href" || tok.Data != "a" {
						t.Fatalf("%s formatted_body has attribute %s on <%s>: %q", what, a.Key, tok.Data, c[1])
					}
					if v := strings.ToLower(strings.TrimSpace(a.Val)); !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "mailto:") {
						t.Fatalf("%s formatted_body links to %q", what, a.Val)
					}
				}
			}
		}
	})
}
