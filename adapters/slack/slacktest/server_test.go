package slacktest

import (
	"net/http"
	"strings"
	"testing"
)

func TestUnknownRequestsFailLoudly(t *testing.T) {
	tests := []struct {
		name, path, body, ctype string
		status                  int
	}{
		{"unknown Web API method", "/api/files.upload", "token=" + BotToken, "application/x-www-form-urlencoded", http.StatusNotFound},
		{"unknown path", "/hooks/x", "", "text/plain", http.StatusNotFound},
		{"unreadable body", "/api/chat.postMessage", "<xml/>", "text/xml", http.StatusBadRequest},
		{"response_url without JSON", "/response/r1", "text=hi", "application/x-www-form-urlencoded", http.StatusBadRequest},
		{"response_url with an unknown field", "/response/r1", `{"text":"hi","attachment":[]}`, "application/json", http.StatusBadRequest},
		{"response_url with a repeated action_id", "/response/r1", `{"text":"hi","blocks":[{"type":"actions","elements":[` +
			`{"type":"button","action_id":"a","text":{"type":"plain_text","text":"A"},"value":"1"},` +
			`{"type":"button","action_id":"a","text":{"type":"plain_text","text":"B"},"value":"2"}]}]}`, "application/json", http.StatusBadRequest},
		{"button value over 2000 characters", "/api/chat.postMessage", "token=" + BotToken + "&channel=" + GeneralID +
			`&blocks=[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"A"},"value":"` +
			strings.Repeat("x", 2001) + `"}]}]`, "application/x-www-form-urlencoded", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer()
			t.Cleanup(s.Close)
			res, err := http.Post(s.URL()+tt.path, tt.ctype, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			if u := s.Unhandled(); len(u) != 1 {
				t.Errorf("unhandled = %q, want the request recorded", u)
			}
		})
	}
}

func TestResponseURLAllowsFiveUses(t *testing.T) {
	s := NewServer()
	t.Cleanup(s.Close)
	s.InjectCommand(s.Channel(), "status", false)
	var statuses []int
	for range 6 {
		res, err := http.Post(s.URL()+"/response/r1", "application/json", strings.NewReader(`{"text":"hi"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		statuses = append(statuses, res.StatusCode)
	}
	if statuses[4] != http.StatusOK || statuses[5] != http.StatusNotFound {
		t.Errorf("statuses %v, want five 200s then 404", statuses)
	}
	if n := len(s.Posted(s.Channel())); n != 5 {
		t.Errorf("%d replies recorded, want 5", n)
	}
	if len(s.Unacked()) != 1 {
		t.Errorf("unacked = %v, want the command (no client connected)", s.Unacked())
	}
}

func TestPings(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"<!channel> hi", 1},
		{"<!here|here> and <@U123> and <!subteam^S1|@team>", 3},
		{"@everyone look", 1},
		{"mail me at a@channel.org", 0},
		{"&lt;!channel&gt; and @\u2060here", 0},
		{"<https://x.org|link>", 0},
	}
	for _, tt := range tests {
		if got := Pings(tt.text); len(got) != tt.want {
			t.Errorf("Pings(%q) = %q, want %d", tt.text, got, tt.want)
		}
	}
}
