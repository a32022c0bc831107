package discourse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The forum's MessageBus (the gem discourse/message_bus, mounted at /message-bus/).
const (
	// ChannelLatest is the MessageBus channel the forum publishes to whenever a topic is
	// created or bumped by a new post, i.e. whenever /posts.json has something new.
	ChannelLatest = "/latest"
	// ChannelCategories is where the forum announces a category's creation, change or deletion
	// (Category#publish_category, #publish_category_deletion). A read-restricted category's
	// change goes only to its groups, and to nobody when it has none (admins only): the API user
	// may hear of it only as a moved id in /__status, or not at all.
	ChannelCategories = "/categories"
	// channelStatus carries the server's current message ids: the answer to a subscription
	// from -1, and the correction when a client is ahead of the bus (the bus was reset) or
	// may not read the messages it missed.
	channelStatus = "/__status"
	// longPollTimeout bounds one long poll; the forum holds it 25 s
	// (GlobalSetting.long_polling_interval) before answering [].
	longPollTimeout = 60 * time.Second
)

// BusMessage is one message of the forum's MessageBus.
type BusMessage struct {
	GlobalID  int64           `json:"global_id"`
	MessageID int64           `json:"message_id"` // increasing within its channel
	Channel   string          `json:"channel"`
	Data      json.RawMessage `json:"data"`
}

// MessageBus polls the forum's MessageBus as one client. It is not safe for concurrent use: a
// client holds one poll at a time.
type MessageBus struct {
	c   *Client
	id  string
	seq int64
}

// NewMessageBus returns a MessageBus client with a random client id.
func (c *Client) NewMessageBus() *MessageBus {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return &MessageBus{c: c, id: hex.EncodeToString(b)}
}

// Poll asks for the messages after the given last ids, one per channel (POST
// /message-bus/{client}/poll). A last id of -1 asks only for the channel's current id, which
// comes back at once in a /__status message (see BusMessage.Status) without replaying history. Otherwise
// the forum answers at once when it holds newer messages, else holds the request until one is
// published or ~25 s pass, then answers an empty list. The call goes through the client's
// limiter and is tried once: the caller decides when to try again.
func (b *MessageBus) Poll(ctx context.Context, last map[string]int64) ([]BusMessage, error) {
	return b.poll(ctx, last, true)
}

// PollNow is Poll without the long poll (dlp=t): the forum answers at once, with the messages
// after the last ids or [].
func (b *MessageBus) PollNow(ctx context.Context, last map[string]int64) ([]BusMessage, error) {
	return b.poll(ctx, last, false)
}

func (b *MessageBus) poll(ctx context.Context, last map[string]int64, long bool) ([]BusMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, longPollTimeout)
	defer cancel()
	b.seq++
	form := url.Values{"__seq": {strconv.FormatInt(b.seq, 10)}}
	for ch, id := range last {
		form.Set(ch, strconv.FormatInt(id, 10))
	}
	path := "/message-bus/" + b.id + "/poll"
	var query url.Values
	if !long {
		query = url.Values{"dlp": {"t"}}
	}
	r := apiRequest{
		method: http.MethodPost, path: path, query: query, endpoint: "POST /message-bus/{client}/poll",
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded",
		// Dont-Chunk: one plain JSON answer instead of the "\r\n|\r\n"-separated streaming
		// chunks; X-Silence-Logger keeps each poll out of the forum's request log.
		header: http.Header{"Dont-Chunk": {"true"}, "X-Silence-Logger": {"true"}},
		long:   true,
	}
	var msgs []BusMessage
	err := b.c.attempt(ctx, r, &msgs)
	var re *retryableError
	if errors.As(err, &re) {
		err = re.err
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("%s: no answer within %s: %w", r.endpoint, longPollTimeout, err)
	}
	return msgs, err
}

// Status reads the current id of channel from a /__status message; ok is false when m is not
// one or does not name channel.
func (m BusMessage) Status(channel string) (id int64, ok bool) {
	if m.Channel != channelStatus {
		return 0, false
	}
	var ids map[string]int64
	if json.Unmarshal(m.Data, &ids) != nil {
		return 0, false
	}
	id, ok = ids[channel]
	return id, ok
}
