package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// errAuth marks a token the server refuses: retrying cannot fix it, so Run returns.
var errAuth = errors.New("mattermost: the server refused the bot token (revoked, or not a bot access token)")

// Run implements adapters.Adapter: it verifies the token, then keeps a websocket open, and after
// every (re)connection re-reads the posts it may have missed in the bot's channels, so that a
// command sent while the socket was down is still answered, once.
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	bo := a.newBackOff()
	var me *model.User
	for me == nil {
		u, err := a.getMe(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errAuth):
			return err
		case err != nil:
			wait := bo.NextBackOff()
			a.log.Warn("cannot reach the server; retrying", "err", err, "in", wait)
			if !sleep(ctx, wait) {
				return nil
			}
		default:
			me = u
		}
	}
	a.mu.Lock()
	a.me = me
	a.mu.Unlock()
	a.log.Info("authenticated", "bot", me.Username)

	r := &runner{a: a, h: h, me: me, sem: make(chan struct{}, maxConcurrentCommands)}
	defer r.wg.Wait()
	bo.Reset()
	for {
		connected, err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errAuth) {
			return err
		}
		if connected {
			bo.Reset()
		}
		wait := bo.NextBackOff()
		a.log.Warn("websocket disconnected; reconnecting", "err", err, "in", wait)
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

func (a *Adapter) newBackOff() *backoff.ExponentialBackOff {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = a.minBackoff
	bo.MaxInterval = a.maxBackoff
	bo.RandomizationFactor = 0.5
	bo.Multiplier = 2
	bo.Reset()
	return bo
}

// sleep waits d or until ctx is done; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// getMe returns the bot's own user; a 401 is errAuth.
func (a *Adapter) getMe(ctx context.Context) (*model.User, error) {
	me, err := call(ctx, a, "get me", func(c *model.Client4) (*model.User, *model.Response, error) {
		return c.GetMe("")
	})
	if statusOf(err) == http.StatusUnauthorized {
		return nil, fmt.Errorf("%w: %w", errAuth, err)
	}
	return me, err
}

// runner is the state of one Run: the handler, the bot's identity and its command workers.
type runner struct {
	a   *Adapter
	h   adapters.Handler
	me  *model.User
	sem chan struct{}
	wg  sync.WaitGroup
}

// session opens one websocket and serves it until it drops or ctx is done. connected reports
// whether the server said hello (the backoff then starts over).
func (r *runner) session(ctx context.Context) (connected bool, err error) {
	a := r.a
	ws, err := model.NewWebSocketClient4WithDialer(a.dialer, a.wsURL, a.cfg.Token)
	if err != nil {
		return false, fmt.Errorf("connect websocket: %w", err)
	}
	ws.Listen()
	defer closeSocket(ws)

	hello := time.NewTimer(helloTimeout)
	defer hello.Stop()
	for {
		select {
		case <-ctx.Done():
			return connected, nil
		case <-hello.C:
			if !connected {
				return false, fmt.Errorf("websocket: no hello within %s", helloTimeout)
			}
		case <-ws.PingTimeoutChannel:
			return connected, errors.New("websocket: the server stopped pinging")
		case resp, ok := <-ws.ResponseChannel:
			if !ok {
				return connected, listenError(ws)
			}
			if resp.Status == model.StatusFail {
				// The only request we send is the authentication challenge.
				if _, err := a.getMe(ctx); errors.Is(err, errAuth) {
					return connected, err
				}
				return connected, fmt.Errorf("websocket authentication failed: %v", resp.Error)
			}
		case ev, ok := <-ws.EventChannel:
			if !ok {
				return connected, listenError(ws)
			}
			switch ev.EventType() {
			case model.WebsocketEventHello:
				if !connected {
					connected = true
					a.log.Info("websocket connected")
					r.resync(ctx)
				}
			case model.WebsocketEventPosted:
				r.onPosted(ctx, ev)
			}
		}
	}
}

// listenError says why the socket's read loop ended (read only after EventChannel is closed,
// which orders it after the SDK's write).
func listenError(ws *model.WebSocketClient) error {
	if ws.ListenError != nil {
		return fmt.Errorf("websocket closed: %w", ws.ListenError)
	}
	return errors.New("websocket closed by the server")
}

// closeSocket closes the websocket and drains its channels until the SDK's reader has exited.
// The network connection is closed first so that a writer stuck on a dead peer lets go.
func closeSocket(ws *model.WebSocketClient) {
	_ = ws.Conn.Close()
	ws.Close()
	events, responses := ws.EventChannel, ws.ResponseChannel
	for events != nil || responses != nil {
		select {
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		case _, ok := <-responses:
			if !ok {
				responses = nil
			}
		}
	}
}
