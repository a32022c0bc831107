package bot

import "testing"

func TestTopicIDFromURL(t *testing.T) {
	tests := []struct {
		name, forum, link string
		want              int64
	}{
		{"slug and id", "https://forum.example.org", "https://forum.example.org/t/hello/123", 123},
		{"id only", "https://forum.example.org", "https://forum.example.org/t/123", 123},
		{"post number", "https://forum.example.org", "https://forum.example.org/t/hello/123/4", 123},
		{"subfolder install", "https://example.org/forum", "https://example.org/forum/t/hello/123", 123},
		{"subfolder install, id only", "https://example.org/forum", "https://example.org/forum/t/123/4", 123},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := topicIDFromURL(tt.forum, tt.link)
			if err != nil || got != tt.want {
				t.Fatalf("topicIDFromURL(%q, %q) = %d, %v; want %d", tt.forum, tt.link, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{
		"https://other.example.org/t/hello/123",
		"https://example.org/t/hello/123", // outside the subfolder
		"https://example.org/forum/c/general/5",
	} {
		if id, err := topicIDFromURL("https://example.org/forum", bad); err == nil {
			t.Errorf("topicIDFromURL accepted %q as topic %d", bad, id)
		}
	}
}
