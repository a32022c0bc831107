package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/adapters/internal/plumbing"
)

// allowedUpdates are the update kinds the bot asks for: group and private messages (commands,
// the chat log, migrations) and channel posts.
var allowedUpdates = []string{"message", "channel_post"}

// ErrWebhookSet is returned by Run (and reported by Check) when the bot has a webhook: Telegram
// then refuses getUpdates. The adapter does not delete it, since another service may own it.
var ErrWebhookSet = errors.New("a webhook is set for this bot, so getUpdates (long polling) cannot work; remove it with deleteWebhook if nothing else uses it")

// chatLogPruneEvery is how often messages past the chat log's age are dropped.
const chatLogPruneEvery = time.Hour

// Run implements adapters.Adapter: it long-polls getUpdates until ctx is done, reconnecting with
// backoff. It returns an error only when the token is refused or a webhook is set.
func (a *Adapter) Run(ctx context.Context, h adapters.Handler) error {
	a.mu.Lock()
	a.handler = h
	a.mu.Unlock()
	pruneCtx, stopPruning := context.WithCancel(ctx)
	pruned := make(chan struct{})
	defer func() { stopPruning(); <-pruned }()
	go func() { // the chat log's age bound, also for chats that went quiet
		ctx := pruneCtx
		defer close(pruned)
		t := time.NewTicker(chatLogPruneEvery)
		defer t.Stop()
		for {
			a.pruneChatLog(ctx, time.Now())
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	defer a.commands.Wait()
	return a.sup.Run(ctx, func(ctx context.Context, up func()) error {
		err := a.session(ctx, h, up)
		switch {
		case isAuthFailure(err):
			return plumbing.Fatal(fmt.Errorf("telegram: the bot token was refused (revoked or mistyped?): %w", err))
		case errors.Is(err, ErrWebhookSet):
			return plumbing.Fatal(fmt.Errorf("telegram: %w", err))
		}
		return err
	})
}

// session connects (getMe, getWebhookInfo, setMyCommands) and polls until an error, handing each
// update to the dispatcher: in order per chat, and one chat's slow transcript never holds up
// another chat. It calls up once updates flow.
func (a *Adapter) session(ctx context.Context, h adapters.Handler, up func()) error {
	var me tgbotapi.User
	if err := a.call(ctx, "getMe", nil, callTimeout, &me); err != nil {
		return err
	}
	a.self.Store(&me)
	var hook tgbotapi.WebhookInfo
	if err := a.call(ctx, "getWebhookInfo", nil, callTimeout, &hook); err != nil {
		return err
	}
	if hook.URL != "" {
		return ErrWebhookSet
	}
	a.registerCommands(ctx)
	offset, err := a.loadOffset(ctx)
	if err != nil {
		return err
	}
	a.log.Info("connected to the Bot API", "bot", "@"+me.UserName, "privacy_mode", !me.CanReadAllGroupMessages)
	// The first call after connecting passes no offset: the server then returns every update it
	// holds. Passing the stored offset instead would confirm, unseen, any update whose id is
	// below it — and after a week without updates Telegram picks the next id at random.
	ask := int64(0)
	for {
		updates, err := a.getUpdates(ctx, ask)
		if err != nil {
			return err
		}
		up()
		for _, u := range updates {
			id := int64(u.UpdateID)
			if id < offset && offset-id <= handledWindow {
				continue // already handled: the server had not yet heard our confirmation
			}
			if id < offset {
				a.log.Info("Telegram restarted its update ids", "stored_offset", offset, "update_id", id)
			}
			if id < ask {
				continue // handed out already (the server repeats what it has not heard confirmed)
			}
			ask = id + 1
			next := ask
			a.track.start(id)
			a.commands.Go(ctx, updateChat(u), func(ctx context.Context) {
				a.handleUpdate(ctx, h, u)
				// The update is handled (answered) even if shutdown began meanwhile: confirm it,
				// or a restart would run the command again (a second transcript topic, say).
				if done, ok := a.track.finish(id, next); ok {
					sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
					a.saveOffset(sctx, done)
					cancel()
				}
			})
		}
		offset = max(offset, ask)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// updateChat is the chat an update belongs to, the dispatcher's key.
func updateChat(u update) string {
	msg := u.Message
	if msg == nil {
		msg = u.ChannelPost
	}
	if msg == nil || msg.Chat == nil {
		return ""
	}
	return strconv.FormatInt(msg.Chat.ID, 10)
}

// inFlight tracks the updates being handled, so that the stored offset never passes one that is
// not done: it is the lowest unfinished update, or past the newest when none is left.
type inFlight struct {
	mu  sync.Mutex
	ids map[int64]bool
}

func (f *inFlight) start(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil {
		f.ids = map[int64]bool{}
	}
	f.ids[id] = true
}

// finish marks id done and returns the offset that may now be stored (next: past every update
// handed out), and whether it moved.
func (f *inFlight) finish(id, next int64) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.ids, id)
	low := next
	for other := range f.ids {
		low = min(low, other)
	}
	return low, low > id
}

// handledWindow is how far below the stored offset an update may be and still be one this bot
// handled but did not get to confirm: at most one getUpdates answer (100 updates). An update
// further below means Telegram restarted its ids.
const handledWindow = 100

// registerCommands fills Telegram's "/" menu. A failure costs only the menu.
func (a *Adapter) registerCommands(ctx context.Context) {
	cmds, err := json.Marshal(menu)
	if err != nil {
		a.log.Warn("encode the command menu", "err", err)
		return
	}
	if err := a.call(ctx, "setMyCommands", tgbotapi.Params{"commands": string(cmds)}, callTimeout, nil); err != nil {
		a.log.Warn("cannot register the command menu", "err", err)
	}
}

// update is one getUpdates result: the SDK's type plus the forum-topic fields it predates.
type update struct {
	tgbotapi.Update
	message *topicFields
}

// topicFields are the Bot API 6.3 fields of a message that SDK v5.5.1 does not decode.
type topicFields struct {
	MessageThreadID int  `json:"message_thread_id"`
	IsTopicMessage  bool `json:"is_topic_message"`
}

// getUpdates holds one long poll. Updates before offset are confirmed to the server by asking
// for offset.
func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]update, error) {
	allowed, _ := json.Marshal(allowedUpdates)
	params := tgbotapi.Params{
		"timeout":         strconv.Itoa(int(a.cfg.PollTimeout / time.Second)),
		"allowed_updates": string(allowed),
	}
	if offset != 0 {
		params["offset"] = strconv.FormatInt(offset, 10)
	}
	var raw []json.RawMessage
	if err := a.call(ctx, "getUpdates", params, a.cfg.PollTimeout+callTimeout, &raw); err != nil {
		if apiErr, ok := apiError(err); ok && apiErr.Code == http.StatusConflict {
			return nil, fmt.Errorf("another program polls this bot, or a webhook was set: %w", err)
		}
		return nil, err
	}
	out := make([]update, 0, len(raw))
	for _, r := range raw {
		var u update
		if err := json.Unmarshal(r, &u.Update); err != nil {
			return nil, fmt.Errorf("getUpdates: decode update: %w", err)
		}
		var extra struct {
			Message     *topicFields `json:"message"`
			ChannelPost *topicFields `json:"channel_post"`
		}
		if err := json.Unmarshal(r, &extra); err == nil {
			u.message = extra.Message
			if u.message == nil {
				u.message = extra.ChannelPost
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// loadOffset reads the stored offset; none stored means "whatever the server holds".
func (a *Adapter) loadOffset(ctx context.Context) (int64, error) {
	v, ok, err := a.cfg.Offsets.Cursor(ctx, a.offsetCursor())
	if err != nil {
		return 0, fmt.Errorf("read the update offset: %w", err)
	}
	if !ok {
		return 0, nil
	}
	return v, nil
}

// saveOffset stores the offset after each handled update, so a crash replays at most the update
// in flight.
func (a *Adapter) saveOffset(ctx context.Context, offset int64) {
	if err := a.cfg.Offsets.SetCursor(ctx, a.offsetCursor(), offset); err != nil {
		a.log.Error("cannot store the update offset; a restart may repeat updates", "offset", offset, "err", err)
	}
}
