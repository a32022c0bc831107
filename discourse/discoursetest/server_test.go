package discoursetest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

func TestFailsLoudly(t *testing.T) {
	tests := []struct {
		name, method, path, key string
		want                    int
		loud                    bool
	}{
		{"unknown endpoint", "GET", "/admin/users.json", key, http.StatusBadRequest, true},
		{"unknown query", "GET", "/posts.json?page=2", key, http.StatusBadRequest, true},
		{"wrong key", "GET", "/posts.json", "nope", http.StatusForbidden, false},
		{"missing topic", "GET", "/t/99.json", key, http.StatusNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := discoursetest.NewServer(key)
			t.Cleanup(f.Close)
			var told []string
			f.OnError(func(msg string) { told = append(told, msg) })
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, f.URL()+tt.path, nil)
			req.Header.Set("Api-Key", tt.key)
			req.Header.Set("Api-Username", "system")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tt.want)
			}
			if loud := len(told) == 1 && strings.Contains(told[0], tt.path) && len(f.Errors()) == 1; loud != tt.loud {
				t.Errorf("callback told %v, errors %v; want loud=%v", told, f.Errors(), tt.loud)
			}
		})
	}
}
