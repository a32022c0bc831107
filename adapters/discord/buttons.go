package discord

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Discord's limits on message components.
// https://discord.com/developers/docs/components/reference#action-row
// https://discord.com/developers/docs/components/reference#button
const (
	maxButtonsPerRow = 5
	maxRows          = 5
	maxButtonLabel   = 80
	maxCustomID      = 100
)

// customIDPrefix marks the buttons this adapter made for command lines too long for a
// custom_id (100 characters): "dcb:<slot>.<nonce>". The line is kept in a slot of the bot's store.
const customIDPrefix = "dcb:"

// lineIDPrefix marks a button that carries its command line itself: "dcb!<expiry>:<line>", the
// expiry in Unix seconds, base 36. Such a button needs no memory; the transcript preview's lines
// ("post range <id> <id> [thread <id>] confirm") fit. Discord only sends custom_ids of the
// message's own components, which the bot wrote.
const lineIDPrefix = "dcb!"

// A button lives an hour. Long lines live in a ring of maxButtons slots in the bot's store
// (Deps.Values), so that a press after a restart still finds them: slot n is the text
// "discord.button.<n>", and the cursor "discord.button.next" counts the lines ever stored. A slot
// is reused after maxButtons newer lines; its old button then answers "expired", as one past
// its hour does.
const (
	buttonTTL     = adapters.ButtonLife
	maxButtons    = 1024
	slotPrefix    = "discord.button."
	slotCursor    = "discord.button.next"
	storeTimeout  = 5 * time.Second
	maxSpentPanel = 10000
)

// slot is what a long line's button stands for: the line, the channel the button was shown in (a
// press from elsewhere is refused), its expiry, and the nonce its token carries, which tells this
// line from the older ones the slot held.
type slot struct {
	Nonce   string `json:"nonce"`
	Channel string `json:"channel"`
	Expires int64  `json:"expires"` // Unix seconds
	Line    string `json:"line"`
}

// buttonStore keeps long lines in their slots and remembers the panels (a reply's set of
// buttons) already pressed: once one button of a panel is pressed the others are spent, since
// the reply to that press replaces the message, and a second click (a double click on "Post to
// forum") must not run a command again. It is safe for concurrent use.
type buttonStore struct {
	values adapters.Values
	log    *slog.Logger

	mu     sync.Mutex
	now    func() time.Time
	next   int64 // the next line's number; slot next % maxButtons
	loaded bool  // next was read from values
	// spent holds the panels already pressed (message id and its buttons) until their buttons
	// expire, so that a double click runs one command.
	spent map[string]time.Time
}

// newButtonStore keeps long lines in values, or in memory when values is nil.
func newButtonStore(values adapters.Values, log *slog.Logger) *buttonStore {
	if values == nil {
		values = &adapters.MemValues{}
	}
	return &buttonStore{values: values, log: log, now: time.Now, spent: map[string]time.Time{}}
}

// lineID returns the custom_id of a button that carries line itself, or "" when it does not fit.
func (s *buttonStore) lineID(line string) string {
	s.mu.Lock()
	exp := s.now().Add(buttonTTL)
	s.mu.Unlock()
	id := lineIDPrefix + strconv.FormatInt(exp.Unix(), 36) + ":" + line
	if len(id) > maxCustomID || strings.TrimSpace(line) == "" {
		return ""
	}
	return id
}

// pressLine reads a line button's custom_id (without lineIDPrefix) pressed on the panel named
// panel (its message and buttons) and, when it is live, spends the panel.
func (s *buttonStore) pressLine(id, panel string) (string, pressResult) {
	exp36, line, ok := strings.Cut(id, ":")
	exp, err := strconv.ParseInt(exp36, 36, 64)
	if !ok || err != nil || strings.TrimSpace(line) == "" {
		return "", pressUnknown
	}
	return line, s.spend(panel, time.Unix(exp, 0))
}

// spend marks a live panel pressed: pressRun the first time, pressSpent after, pressUnknown
// once its buttons have expired.
func (s *buttonStore) spend(panel string, expires time.Time) pressResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !now.Before(expires) {
		return pressUnknown
	}
	for k, e := range s.spent {
		if !now.Before(e) {
			delete(s.spent, k)
		}
	}
	if _, used := s.spent[panel]; used {
		return pressSpent
	}
	if len(s.spent) < maxSpentPanel {
		s.spent[panel] = expires
	}
	return pressRun
}

// add stores the lines of one reply's buttons, shown in channel, and returns their tokens. A
// line the store could not keep still gets a token: its press answers that the buttons expired.
func (s *buttonStore) add(ctx context.Context, channel string, lines []string) []string {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	tokens := make([]string, len(lines))
	if !s.loaded {
		n, _, err := s.values.Cursor(ctx, slotCursor)
		if err != nil {
			// Without the count new lines could take live slots: keep none. The tokens name no
			// stored line, so their presses answer that the buttons expired.
			s.log.Error("discord: read the button slot cursor; long button lines are not kept", "err", err)
			for i := range tokens {
				tokens[i] = "0." + newNonce()
			}
			return tokens
		}
		s.next, s.loaded = n, true
	}
	expires := s.now().Add(buttonTTL).Unix()
	for i, l := range lines {
		n := strconv.FormatInt(s.next%maxButtons, 36)
		s.next++
		sl := slot{Nonce: newNonce(), Channel: channel, Expires: expires, Line: l}
		tokens[i] = n + "." + sl.Nonce
		v, _ := json.Marshal(sl) // strings and an integer: cannot fail
		if err := s.values.SetText(ctx, slotPrefix+n, string(v)); err != nil {
			s.log.Error("discord: keep a button's command line", "err", err, "slot", n)
		}
	}
	if err := s.values.SetCursor(ctx, slotCursor, s.next); err != nil {
		s.log.Error("discord: save the button slot cursor", "err", err)
	}
	return tokens
}

// pressResult says what a press of a token found.
type pressResult int

const (
	pressUnknown pressResult = iota // expired, its slot reused, or never made here
	pressSpent                      // another button of the same reply was pressed already
	pressRun                        // run the line
)

// press looks a token up for a press in channel on panel and, when it is live, spends the panel.
func (s *buttonStore) press(ctx context.Context, token, channel, panel string) (string, pressResult) {
	n, nonce, ok := strings.Cut(token, ".")
	if i, err := strconv.ParseInt(n, 36, 64); !ok || err != nil || i < 0 || i >= maxButtons || nonce == "" {
		return "", pressUnknown
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	v, found, err := s.values.Text(ctx, slotPrefix+n)
	if err != nil {
		s.log.Error("discord: read a button's command line", "err", err, "slot", n)
	}
	var sl slot
	if !found || err != nil || json.Unmarshal([]byte(v), &sl) != nil || sl.Nonce != nonce || sl.Channel != channel {
		return "", pressUnknown
	}
	return sl.Line, s.spend(panel, time.Unix(sl.Expires, 0))
}

// release makes a pressed panel usable again (its command was refused).
func (s *buttonStore) release(panel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.spent, panel)
}

// newNonce returns 8 random bytes, URL-safe base64 (11 characters).
func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// components renders a reply's actions as action rows of buttons (5 a row, 5 rows at most), each
// carrying its command line, or, when that is too long, a fresh token the line is stored under. It returns an empty, non-nil list
// when there are no actions, so an edit clears the buttons of the message it replaces.
func (a *Adapter) components(ctx context.Context, channel string, actions []adapters.Action) []discordgo.MessageComponent {
	rows := []discordgo.MessageComponent{}
	if len(actions) == 0 {
		return rows
	}
	if limit := maxButtonsPerRow * maxRows; len(actions) > limit {
		a.log.Warn("discord: a reply has more buttons than Discord shows; the last ones are left out", "buttons", len(actions), "max", limit)
		actions = actions[:limit]
	}
	ids := make([]string, len(actions))
	var long []string // lines that need a token
	for i, act := range actions {
		if ids[i] = a.buttons.lineID(act.Command); ids[i] == "" {
			long = append(long, act.Command)
		}
	}
	if len(long) > 0 {
		tokens := a.buttons.add(ctx, channel, long)
		for i := range ids {
			if ids[i] == "" {
				ids[i], tokens = customIDPrefix+tokens[0], tokens[1:]
			}
		}
	}
	var row []discordgo.MessageComponent
	for i, act := range actions {
		style := discordgo.SecondaryButton
		if act.Primary {
			style = discordgo.PrimaryButton
		}
		label := truncate(strings.TrimSpace(act.Label), maxButtonLabel)
		if label == "" {
			label = "…" // Discord refuses a button with neither label nor emoji
		}
		row = append(row, discordgo.Button{Label: label, Style: style, CustomID: ids[i]})
		if len(row) == maxButtonsPerRow || i == len(actions)-1 {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	return rows
}
