package matrix

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/discourse-chatbot/discourse-chatbot/adapters/adaptertest"
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
	adaptertest.FuzzRender(f, adaptertest.FuzzSeeds(), func(t *testing.T, in adaptertest.RenderInput) {
		n := in.Notification()
		reply := in.Reply()
		for what, c := range map[string][2]string{
			"notification": {notificationContent(n).Body, notificationContent(n).FormattedBody},
			"reply":        {noticeContent(reply).Body, noticeContent(reply).FormattedBody},
		} {
			for i, s := range c {
				part := []string{"body", "formatted_body"}[i]
				in.CheckUTF8(t, what+" "+part, s)
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
