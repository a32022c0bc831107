// Package fakehttp holds what the fake servers of the chat platforms and of the forum
// (discordtest, slacktest, discoursetest, …) share: the record of what a fake did not understand
// (a fake answers such a request with an error and records it, and tests check that the record
// is empty, so that a fake fails loudly instead of quietly answering something made up), the
// count of what it was asked for, the faults a test arms for its next calls, the reading of
// request bodies and the upgrade of a websocket handshake.
package fakehttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"

	"github.com/gorilla/websocket"
)

// Unhandled records what a fake did not understand: requests ("POST /api/foo.bar: unknown
// method"), websocket messages, injections that named nothing the fake knows. Its zero value is
// ready; it is safe for concurrent use and takes no lock of the fake's, so a fake may record
// while it holds its own.
type Unhandled struct {
	mu   sync.Mutex
	list []string
}

// Add records what was not understood.
func (u *Unhandled) Add(what string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.list = append(u.list, what)
}

// Addf records fmt.Sprintf(format, args...).
func (u *Unhandled) Addf(format string, args ...any) { u.Add(fmt.Sprintf(format, args...)) }

// List returns what was recorded, oldest first; nil when the fake understood everything.
func (u *Unhandled) List() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.list)
}

// Counter counts what a fake was asked for, by a key of the fake's (a Web API method, a path), so
// that tests can check what a client called and how often. Its zero value is ready; it is safe
// for concurrent use and takes no lock of the fake's.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one call of key.
func (c *Counter) Add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[key]++
}

// Count returns how many calls of key were counted.
func (c *Counter) Count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// Total returns how many calls were counted, of every key.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, n := range c.n {
		t += n
	}
	return t
}

// Armed holds what a test armed for a fake's next calls of one kind (a fault, a rate limit):
// each call takes one, oldest first, so that arming twice fails two calls. Its zero value is
// ready; it is safe for concurrent use and takes no lock of the fake's.
type Armed[T any] struct {
	mu sync.Mutex
	q  []T
}

// Arm arms v for the next call after those already armed.
func (a *Armed[T]) Arm(v T) { a.ArmN(1, v) }

// ArmN arms v for the next n calls after those already armed.
func (a *Armed[T]) ArmN(n int, v T) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.q = append(a.q, v)
	}
}

// Take returns the oldest armed value and disarms it; ok is false when nothing is armed.
func (a *Armed[T]) Take() (v T, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.q) == 0 {
		return v, false
	}
	v, a.q = a.q[0], a.q[1:]
	return v, true
}

// ErrClientGone says a request's body could not be read: the client went away (an adapter
// stopping mid-request), and there is no request to judge.
var ErrClientGone = errors.New("client went away")

// ReadBody reads a request's body, its first MiB at the most; an error wraps ErrClientGone.
func ReadBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrClientGone, err)
	}
	return body, nil
}

// JSONParams reads a JSON object body as the form parameters it stands for, the way the Slack
// and Telegram APIs take either: a string member as it is, any other as its JSON text.
func JSONParams(body []byte) (map[string]string, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, _ := json.Marshal(v)
		out[k] = string(b)
	}
	return out, nil
}

// upgrader accepts a handshake from any origin, as the platforms' websocket endpoints do.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// Upgrade answers a fake's websocket handshake and returns the connection; when it fails, it
// has answered the client with an HTTP error already.
func Upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	return upgrader.Upgrade(w, r, nil)
}
