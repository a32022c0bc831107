package discoursetest

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// defaultHold is how long the forum holds a long poll with nothing to say
// (GlobalSetting.long_polling_interval).
const defaultHold = 25 * time.Second

// bus is the fake forum's MessageBus: /latest carries topic bumps, the private-message group
// channels new private messages, /topic/{id} post changes and /categories category changes;
// every other channel stays at id 0. Every message is kept (the backlog), and a poll from a last
// id replays what followed it, as message_bus's Client#backlog does. A message published to some
// groups only (a read-restricted category's) reaches a poller who is a member (admins are members
// of "admins" and "staff"); for any other, the poll answers the channel's new id in /__status
// instead, and a held poll is not woken by it. The private-message channels publish to no group
// here: the API user is taken to be a member of every group.
type bus struct {
	off      bool
	hold     time.Duration
	channels map[string][]busMessage // message ids 1, 2, … per channel
	globalID int64
	wake     chan struct{}      // closed and replaced on every publish
	polls    int                // poll requests answered or held
	asked    []map[string]int64 // each poll's channel → last id
	held     int                // polls waiting right now
}

type busMessage struct {
	GlobalID  int64          `json:"global_id"`
	MessageID int64          `json:"message_id"`
	Channel   string         `json:"channel"`
	Data      map[string]any `json:"data"`
	groups    []string       // MessageBus.publish's group_ids, by name; nil: everyone
}

func newBus() bus {
	return bus{hold: defaultHold, wake: make(chan struct{}), channels: map[string][]busMessage{}}
}

// PrivateMessageGroupChannel is the channel Discourse's PrivateMessageTopicTrackingState
// publishes a group's new private messages on ("/private-message-topic-tracking-state/group/{id}").
func PrivateMessageGroupChannel(groupID int64) string {
	return "/private-message-topic-tracking-state/group/" + strconv.FormatInt(groupID, 10)
}

// publish appends a message to a channel and wakes the held polls; s.mu is held.
func (s *Server) publish(channel string, data map[string]any) { s.publishTo(channel, data, nil) }

// publishTo publishes a message only members of groups may read (nil: everyone); s.mu is held.
func (s *Server) publishTo(channel string, data map[string]any, groups []string) {
	s.bus.globalID++
	msgs := s.bus.channels[channel]
	s.bus.channels[channel] = append(msgs, busMessage{
		GlobalID: s.bus.globalID, MessageID: int64(len(msgs) + 1), Channel: channel, Data: data, groups: groups,
	})
	close(s.bus.wake)
	s.bus.wake = make(chan struct{})
}

// allowed reports whether u may read m, as message_bus's Client#allowed? decides from the
// groups the forum gives the client (MessageBus.group_ids_lookup: the user's groups). s.mu is held.
func (s *Server) allowed(u *user, m busMessage) bool {
	if len(m.groups) == 0 {
		return true
	}
	if u == nil {
		return false
	}
	for _, g := range s.groupsOf(u) {
		for _, want := range m.groups {
			if strings.EqualFold(g, want) {
				return true
			}
		}
	}
	return false
}

// publishCategory publishes a category's change on /categories, as Category#publish_category
// does after every save: to everyone for a public category; to the category's groups for a
// read-restricted one, and not at all when it has none (only admins may read it). s.mu is held.
func (s *Server) publishCategory(c *discourse.Category) {
	groups := []string(nil)
	if c.ReadRestricted {
		groups = s.catGroups[c.ID]
		if len(groups) == 0 {
			return
		}
	}
	for i, x := range s.cats {
		if x == c {
			s.publishTo("/categories", map[string]any{"categories": []any{s.categoryView(i, c)}}, groups)
		}
	}
}

// ResetMessageBus empties the MessageBus as a flush of the forum's Redis does: every channel
// starts again at id 0, so a client's last ids are ahead of the bus.
func (s *Server) ResetMessageBus() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bus.channels = map[string][]busMessage{}
	close(s.bus.wake)
	s.bus.wake = make(chan struct{})
}

// publishPrivateReply tells the admins' private-message channels of a reply in a private message,
// as PrivateMessageTopicTrackingState.publish_unread tells the group members who track it (the
// fake takes its admins to be members of every group, watching its messages). s.mu is held.
func (s *Server) publishPrivateReply(p *post) {
	var groupIDs []int64
	for _, name := range p.topic.groups {
		for _, g := range s.groups {
			if strings.EqualFold(g.Name, name) {
				groupIDs = append(groupIDs, g.ID)
			}
		}
	}
	for _, u := range s.userOrder {
		if !u.admin || u == p.user {
			continue
		}
		s.publish("/private-message-topic-tracking-state/user/"+strconv.FormatInt(u.id, 10), map[string]any{
			"topic_id":     p.topic.id,
			"message_type": "unread",
			"payload": map[string]any{
				"last_read_post_number": nil, "highest_post_number": p.number, "notification_level": 3,
				"group_ids": groupIDs, "created_by_user_id": p.user.id,
			},
		})
	}
}

// publishNewPrivateMessage publishes a new private message on the channel of each group it was
// sent to, as PrivateMessageTopicTrackingState.publish_new does. s.mu is held.
func (s *Server) publishNewPrivateMessage(t *topic, creator int64) {
	var ids []int64
	for _, name := range t.groups {
		for _, g := range s.groups {
			if strings.EqualFold(g.Name, name) {
				ids = append(ids, g.ID)
			}
		}
	}
	for _, id := range ids {
		s.publish(PrivateMessageGroupChannel(id), map[string]any{
			"message_type": "new_topic",
			"topic_id":     t.id,
			"payload": map[string]any{
				"last_read_post_number": nil, "highest_post_number": 1,
				"group_ids": ids, "created_by_user_id": creator,
			},
		})
	}
}

// SetMessageBus turns the MessageBus on (the default) or off: off, its endpoints answer 404, as
// behind a proxy that does not route /message-bus/.
func (s *Server) SetMessageBus(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bus.off = !on
}

// SetLongPollHold sets how long a long poll with nothing to answer is held before it answers
// [] (default 25 s, as the forum).
func (s *Server) SetLongPollHold(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bus.hold = d
}

// MessageBusPolls returns how many MessageBus poll requests arrived, the 404s of a bus turned
// off included.
func (s *Server) MessageBusPolls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bus.polls
}

// MessageBusAsks returns, for each MessageBus poll that reached the bus, the last id it gave for
// each channel.
func (s *Server) MessageBusAsks() []map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]int64(nil), s.bus.asked...)
}

// HeldPolls returns how many long polls are waiting for a message right now.
func (s *Server) HeldPolls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bus.held
}

// publishLatest publishes a topic's bump on /latest, as TopicTrackingState.publish_latest does
// for every new post outside private messages, its payload carrying the topic's category and
// tags. PostRevisor calls it only when an edit bumps the topic (a new version of its last post);
// the fake's moves and tag changes do not bump. s.mu is held.
func (s *Server) publishLatest(t *topic) {
	var cat any
	if t.categoryID != 0 {
		cat = t.categoryID
	}
	payload := map[string]any{"bumped_at": stamp(s.clock()), "category_id": cat, "archetype": t.archetype}
	if len(t.tags) > 0 { // with tagging on, the topic's tags, when it has some
		ids := make([]int, len(t.tags))
		for i, name := range t.tags {
			ids[i] = s.tagID(name)
		}
		payload["tags"], payload["topic_tag_ids"] = append([]string(nil), t.tags...), ids
	}
	s.publish("/latest", map[string]any{"topic_id": t.id, "message_type": "latest", "payload": payload})
}

// backlog is what client u, having seen the last ids, is due (Client#backlog): the messages
// after them that u may read, and in /__status the channel's id for a channel asked from -1,
// ahead of the bus (reset), or holding messages u may not read. s.mu is held.
func (s *Server) backlog(u *user, last map[string]int64) []busMessage {
	out := []busMessage{}
	status := map[string]any{}
	for ch, id := range last {
		msgs := s.bus.channels[ch]
		head := int64(len(msgs))
		var due []busMessage
		switch {
		case id == -1 || id > head: // not asking for history, or ahead of the bus (reset)
			status[ch] = head
		case id < -1: // the last -id-1 messages
			due = msgs[max(0, head+id+1):]
		default:
			due = msgs[id:]
		}
		for _, m := range due {
			if s.allowed(u, m) {
				out = append(out, m)
			} else {
				status[ch] = head
			}
		}
	}
	if len(status) > 0 {
		out = append(out, busMessage{GlobalID: -1, MessageID: -1, Channel: "/__status", Data: status})
	}
	return out
}

// readable reports whether msgs hold a message other than /__status: what wakes a held poll
// (ConnectionManager#notify_clients writes only messages the client may read).
func readable(msgs []busMessage) bool {
	for _, m := range msgs {
		if m.Channel != "/__status" {
			return true
		}
	}
	return false
}

// messageBus serves POST /message-bus/{client}/poll: a form (or JSON) of channel → last seen id
// plus "__seq". It answers at once when something is due, else holds the request until a
// message is published or the hold passes, then answers []. It speaks only the unchunked
// protocol, which clients ask for with the Dont-Chunk header.
func (s *Server) messageBus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	off := s.bus.off
	s.bus.polls++
	s.mu.Unlock()
	if off {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"errors": []string{"The requested URL or resource could not be found."}, "error_type": "not_found",
		})
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/message-bus/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] != "poll" || r.Method != http.MethodPost {
		s.fail(w, r, "the fake MessageBus serves only POST /message-bus/{client}/poll")
		return
	}
	if r.Header.Get("Dont-Chunk") == "" {
		s.fail(w, r, "no Dont-Chunk header: the fake does not speak the chunked protocol")
		return
	}
	for k := range r.URL.Query() {
		if k != "dlp" {
			s.fail(w, r, "unknown query parameter %q", k)
			return
		}
	}
	longPoll := r.URL.Query().Get("dlp") != "t"
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.fail(w, r, "want a form body, got Content-Type %q", r.Header.Get("Content-Type"))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, "form: %v", err)
		return
	}
	last := map[string]int64{}
	for k, v := range r.PostForm {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			s.fail(w, r, "%s=%q is not a number", k, v[0])
			return
		}
		if k != "__seq" {
			last[k] = n
		}
	}
	if len(last) == 0 {
		s.fail(w, r, "no channel to poll")
		return
	}
	s.mu.Lock()
	s.bus.asked = append(s.bus.asked, last)
	u := s.users[strings.ToLower(r.Header.Get("Api-Username"))]
	out := s.backlog(u, last)
	if len(out) > 0 || !longPoll {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	}
	wake, hold := s.bus.wake, s.bus.hold
	s.bus.held++
	s.mu.Unlock()
	t := time.NewTimer(hold)
	defer t.Stop()
	for {
		select {
		case <-wake:
		case <-t.C:
		case <-s.closing:
		case <-r.Context().Done():
		}
		s.mu.Lock()
		out = s.backlog(u, last)
		if wake != s.bus.wake && !readable(out) { // woken by a message this client may not read
			select {
			case <-t.C:
			case <-s.closing:
			case <-r.Context().Done():
			default:
				wake = s.bus.wake
				s.mu.Unlock()
				continue
			}
		}
		s.bus.held--
		s.mu.Unlock()
		if !readable(out) {
			out = []busMessage{} // the hold ended: [] (the next poll gets the statuses)
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
}
