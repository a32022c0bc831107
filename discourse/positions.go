package discourse

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// BusPositions keeps the MessageBus ids of the followed topics' channels across restarts, so
// that the forum replays the edits and deletions made while the bot was down (state.Store
// satisfies it: the ids are cursors named busPrefix + channel). /latest and the private-message
// channels are not kept: their catch-up goes by the post cursors.
type BusPositions interface {
	Cursors(ctx context.Context, prefix string) (map[string]int64, error)
	SetCursor(ctx context.Context, name string, value int64) error
	DeleteCursor(ctx context.Context, name string) error
}

// busPrefix starts the cursor name of a MessageBus channel's kept id.
const busPrefix = "bus:"

// positions tracks, per followed topic channel, the id up to which every message was handled
// (handed on, or found not to matter), and writes it to the store. A message whose change still
// waits in the debounce holds its channel's kept id back, so a stop loses nothing: the forum
// replays it at the next start.
type positions struct {
	store BusPositions // nil: nothing is kept
	log   *slog.Logger

	mu      sync.Mutex
	seen    map[string]int64         // channel → the last id the session saw
	pending map[string]map[int64]int // channel → ids being handled → how many handlers
	saved   map[string]int64         // what the store holds
	wmu     sync.Mutex               // one flush writes at a time
}

func newPositions(store BusPositions, log *slog.Logger) *positions {
	return &positions{store: store, log: log, seen: map[string]int64{}, pending: map[string]map[int64]int{}, saved: map[string]int64{}}
}

// load returns the kept ids of the topic channels.
func (ps *positions) load(ctx context.Context) map[string]int64 {
	out := map[string]int64{}
	if ps.store == nil {
		return out
	}
	got, err := ps.store.Cursors(ctx, busPrefix)
	if err != nil {
		if ctx.Err() != nil {
			return out // stopping: not a failure
		}
		ps.log.Warn("forum live mode: the MessageBus positions kept cannot be read; changes made while the bot was down are not followed", "err", err)
		return out
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for name, id := range got {
		ch := strings.TrimPrefix(name, busPrefix)
		if _, ok := topicOf(ch); ok && id >= 0 {
			out[ch], ps.seen[ch], ps.saved[ch] = id, id, id
		}
	}
	return out
}

// saw records the last id the session saw on a topic channel.
func (ps *positions) saw(ch string, id int64) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.seen[ch] = id
}

// forget drops a channel no longer followed.
func (ps *positions) forget(ch string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.seen, ch)
}

// begin marks message id of ch as being handled; the returned func marks it done.
func (ps *positions) begin(ch string, id int64) (done func()) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.pending[ch] == nil {
		ps.pending[ch] = map[int64]int{}
	}
	ps.pending[ch][id]++
	var once sync.Once
	return func() {
		once.Do(func() {
			ps.mu.Lock()
			defer ps.mu.Unlock()
			if ps.pending[ch][id]--; ps.pending[ch][id] <= 0 {
				delete(ps.pending[ch], id)
			}
			if len(ps.pending[ch]) == 0 {
				delete(ps.pending, ch)
			}
		})
	}
}

// flush writes the ids that moved, and forgets in the store the channels no longer followed.
func (ps *positions) flush(ctx context.Context) {
	if ps.store == nil {
		return
	}
	ps.wmu.Lock()
	defer ps.wmu.Unlock()
	ps.mu.Lock()
	set := map[string]int64{}
	var drop []string
	for ch, id := range ps.seen {
		for p := range ps.pending[ch] {
			id = min(id, p-1)
		}
		if old, ok := ps.saved[ch]; !ok || old != id {
			set[ch] = id
		}
	}
	for ch := range ps.saved {
		if _, ok := ps.seen[ch]; !ok && len(ps.pending[ch]) == 0 {
			drop = append(drop, ch)
		}
	}
	ps.mu.Unlock()
	for ch, id := range set {
		if err := ps.store.SetCursor(ctx, busPrefix+ch, id); err != nil {
			if ctx.Err() == nil {
				ps.log.Warn("forum live mode: keep a MessageBus position", "channel", ch, "err", err)
			}
			continue
		}
		ps.mu.Lock()
		ps.saved[ch] = id
		ps.mu.Unlock()
	}
	for _, ch := range drop {
		if err := ps.store.DeleteCursor(ctx, busPrefix+ch); err != nil {
			if ctx.Err() == nil {
				ps.log.Warn("forum live mode: forget a MessageBus position", "channel", ch, "err", err)
			}
			continue
		}
		ps.mu.Lock()
		delete(ps.saved, ch)
		ps.mu.Unlock()
	}
}
