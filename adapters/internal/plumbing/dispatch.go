package plumbing

import (
	"context"
	"sync"
)

// Dispatcher runs commands for many chats: in order within a chat, at most Limit at a time in
// all, and never one chat's slow command (a transcript) in the way of another chat's.
type Dispatcher struct {
	sem chan struct{}

	mu    sync.Mutex
	chats map[string][]func() // queued work per chat; a key is present while its chat runs
	wg    sync.WaitGroup
}

// NewDispatcher returns a dispatcher running at most limit commands at once (at least 1).
func NewDispatcher(limit int) *Dispatcher {
	return &Dispatcher{sem: make(chan struct{}, max(limit, 1)), chats: map[string][]func(){}}
}

// Go queues fn for chat and returns at once. fn runs after every earlier fn of the same chat has
// returned; it is given ctx, which it should honour.
func (d *Dispatcher) Go(ctx context.Context, chat string, fn func(ctx context.Context)) {
	d.wg.Add(1)
	work := func() {
		defer d.wg.Done()
		fn(ctx)
	}
	d.mu.Lock()
	queue, running := d.chats[chat]
	d.chats[chat] = append(queue, work)
	d.mu.Unlock()
	if !running {
		go d.drain(chat)
	}
}

// drain runs a chat's queue until it is empty, one at a time, each under the overall limit.
func (d *Dispatcher) drain(chat string) {
	for {
		d.mu.Lock()
		queue := d.chats[chat]
		if len(queue) == 0 {
			delete(d.chats, chat)
			d.mu.Unlock()
			return
		}
		next := queue[0]
		d.chats[chat] = queue[1:]
		d.mu.Unlock()
		d.sem <- struct{}{}
		next()
		<-d.sem
	}
}

// Wait blocks until every queued command has returned.
func (d *Dispatcher) Wait() { d.wg.Wait() }
