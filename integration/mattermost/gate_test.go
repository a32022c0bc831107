//go:build integration

package realmattermost

import (
	"io"
	"net"
	"sync"
	"testing"
)

// gate is a TCP relay between the bot and the server on 127.0.0.1. While it is shut it cuts every
// connection and refuses new ones, so the suite can hold the bot offline after the real server is
// back and post a command it can only find by re-syncing.
type gate struct {
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	shut  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// newGate relays to upstream (host:port) until the test ends.
func newGate(t *testing.T, upstream string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	g.wg.Add(1)
	go g.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		g.Shut()
		g.wg.Wait()
	})
	return g
}

// URL is the relay's http:// base URL.
func (g *gate) URL() string { return "http://" + g.ln.Addr().String() }

// Shut cuts every relayed connection and refuses new ones until Open.
func (g *gate) Shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = true
	for c := range g.conns {
		_ = c.Close()
	}
}

// Open lets connections through again.
func (g *gate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = false
}

func (g *gate) accept() {
	defer g.wg.Done()
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		g.wg.Add(1)
		go g.relay(c)
	}
}

// track registers c unless the gate is shut (then it reports false).
func (g *gate) track(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

func (g *gate) untrack(cs ...net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range cs {
		delete(g.conns, c)
		_ = c.Close()
	}
}

func (g *gate) relay(down net.Conn) {
	defer g.wg.Done()
	if !g.track(down) {
		_ = down.Close()
		return
	}
	up, err := net.Dial("tcp", g.upstream)
	if err != nil || !g.track(up) {
		if up != nil {
			_ = up.Close()
		}
		g.untrack(down)
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, down); done <- struct{}{} }()
	go func() { _, _ = io.Copy(down, up); done <- struct{}{} }()
	<-done
	g.untrack(down, up) // closing both ends the other copy
	<-done
}
