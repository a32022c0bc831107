package adaptertest

import (
	"testing"
	"unicode/utf8"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// RenderInput is untrusted forum text in every field a notification and a reply carry: one
// input of a platform's FuzzRender.
type RenderInput struct {
	Title, Excerpt, Author, Category, URL, Tag string
}

// Notification is a notification made of in.
func (in RenderInput) Notification() adapters.Notification {
	return adapters.Notification{TopicTitle: in.Title, Excerpt: in.Excerpt, AuthorName: in.Author, AuthorUser: in.Author,
		CategoryPath: in.Category, URL: in.URL, Tags: []string{in.Tag}, CategoryColor: "0088CC"}
}

// Reply is a reply that puts each field of in in another kind of span.
func (in RenderInput) Reply() adapters.Text {
	return adapters.Text{{Kind: adapters.Plain, Text: in.Title}, {Kind: adapters.Bold, Text: in.Excerpt},
		{Kind: adapters.Code, Text: in.Author}, {Kind: adapters.Link, Text: in.Category, URL: in.URL},
		{Kind: adapters.CodeBlock, Text: in.Tag}}
}

// CheckUTF8 fails t when s, what the platform made of in (the what), is not valid UTF-8 while
// every field of in is: only input that is valid must stay valid (the forum's JSON always is).
// Each field on its own: two invalid halves can make a valid whole.
func (in RenderInput) CheckUTF8(t testing.TB, what, s string) {
	t.Helper()
	for _, f := range []string{in.Title, in.Excerpt, in.Author, in.Category, in.URL, in.Tag} {
		if !utf8.ValidString(f) {
			return
		}
	}
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %q", what, s)
	}
}

// FuzzRender fuzzes a platform's renderers: check gets the seeds (each a title, excerpt,
// author, category, URL and tag) and every input the fuzzer makes of them, and fails t when the
// platform's markup of it could ping, inject markup or break the platform's limits.
func FuzzRender(f *testing.F, seeds [][6]string, check func(t *testing.T, in RenderInput)) {
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, title, excerpt, author, category, url, tag string) {
		check(t, RenderInput{Title: title, Excerpt: excerpt, Author: author, Category: category, URL: url, Tag: tag})
	})
}
