package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
)

// errAuth marks a token the server refuses: retrying cannot fix it, so Run returns.
var errAuth = errors.New("mattermost: the server refused the bot token (revoked, or not a bot access token)")

// Run implements adapters.Adapter: it verifies the token, then keeps a websocket open, and after
// every (re)connection re-reads the posts it may have missed in the bot's channels, so that a
// command sent while the socket was down is still answered, once.
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	a.sup.Log, a.sup.MinBackoff, a.sup.MaxBackoff = a.log, a.minBackoff, a.maxBackoff
	r := &runner{a: a, h: h, commands: plumbing.NewDispatcher(maxConcurrentCommands)}
	defer r.commands.Wait()
	return a.sup.Run(ctx, func(ctx context.Context, up func()) error {
		if r.me == nil {
			me, err := a.getMe(ctx)
			if errors.Is(err, errAuth) {
				return plumbing.Fatal(err)
			}
			if err != nil {
				return fmt.Errorf("cannot reach the server: %w", err)
			}
			a.mu.Lock()
			a.me = me
			a.mu.Unlock()
			r.me = me
			a.log.Info("authenticated", "bot", me.Username)
		}
		err := r.session(ctx, up)
		if errors.Is(err, errAuth) {
			return plumbing.Fatal(err)
		}
		return err
	})
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
	a        *Adapter
	h        adapters.Handler
	me       *model.User
	commands *plumbing.Dispatcher
}

// session opens one websocket and serves it until it drops or ctx is done. It calls up when the
// server says hello (the backoff then starts over).
func (r *runner) session(ctx context.Context, up func()) error {
	connected := false
	a := r.a
	ws, err := model.NewWebSocketClient4WithDialer(a.dialer, a.wsURL, a.cfg.Token)
	if err != nil {
		return fmt.Errorf("connect websocket: %w", err)
	}
	ws.Listen()
	defer closeSocket(ws)

	hello := time.NewTimer(helloTimeout)
	defer hello.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hello.C:
			if !connected {
				return fmt.Errorf("websocket: no hello within %s", helloTimeout)
			}
		case <-ws.PingTimeoutChannel:
			return errors.New("websocket: the server stopped pinging")
		case resp, ok := <-ws.ResponseChannel:
			if !ok {
				return listenError(ws)
			}
			if resp.Status == model.StatusFail {
				// The only request we send is the authentication challenge.
				if _, err := a.getMe(ctx); errors.Is(err, errAuth) {
					return err
				}
				return fmt.Errorf("websocket authentication failed: %v", resp.Error)
			}
		case ev, ok := <-ws.EventChannel:
			if !ok {
				return listenError(ws)
			}
			switch ev.EventType() {
			case model.WebsocketEventHello:
				if !connected {
					connected = true
					up()
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
