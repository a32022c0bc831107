package discordtest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// bucket is one channel's message-post bucket: Discord counts the posts of a window that starts
// with the first post after the last reset.
type bucket struct {
	used  int
	reset time.Time
}

// LimitMessages makes message posts count against a bucket per channel of n posts per window,
// announced in X-RateLimit-* headers the way Discord does; a post over it is answered 429 and
// counted (OverLimit). Off (0) by default.
func (s *Server) LimitMessages(n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucketSize, s.bucketWindow = n, window
	s.buckets = map[string]*bucket{}
}

// OverLimit is how many message posts arrived over their channel's bucket (see LimitMessages).
func (s *Server) OverLimit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overLimit
}

// AddTextChannel adds a text channel to the guild, which the bot may post in.
func (s *Server) AddTextChannel(id, name string) adapters.ChannelRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = &Channel{ID: id, Type: channelText, GuildID: GuildID, Name: name, Position: len(s.channels), PermissionOverwrites: []Overwrite{}}
	return adapters.ChannelRef{Platform: "discord", ChatID: id}
}

// takeFromBucket counts a post to channelID and sets the rate-limit headers; false means the
// bucket is empty and the post was answered 429. Called with s.mu held.
func (s *Server) takeFromBucket(w http.ResponseWriter, channelID string) bool {
	if s.bucketSize <= 0 {
		return true
	}
	now := time.Now()
	b := s.buckets[channelID]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{reset: now.Add(s.bucketWindow)}
		s.buckets[channelID] = b
	}
	after := b.reset.Sub(now).Seconds()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.bucketSize))
	h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(b.reset.UnixMilli())/1000))
	h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", after))
	h.Set("X-RateLimit-Bucket", "messages-"+channelID)
	if b.used >= s.bucketSize {
		s.overLimit++
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Scope", "user")
		h.Set("Retry-After", strconv.Itoa(int(after+0.999)))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": after, "global": false})
		return false
	}
	b.used++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.bucketSize-b.used))
	return true
}
