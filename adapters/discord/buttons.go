package discord

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
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

// customIDPrefix marks the buttons this adapter made: "dcb:<token>". A command line too long for
// a custom_id (100 characters) is kept by the adapter, and the button carries a token to it.
const customIDPrefix = "dcb:"

// lineIDPrefix marks a button that carries its command line itself: "dcb!<expiry>:<line>", the
// expiry in Unix seconds, base 36. Such a button needs no memory, so it still works after a
// restart; the transcript preview's lines ("post range <id> <id> [thread <id>] confirm") fit.
// Discord only sends custom_ids of the message's own components, which the bot wrote.
const lineIDPrefix = "dcb!"

// Tokens live an hour, and at most maxButtons of them are kept: the oldest go first.
const (
	buttonTTL  = adapters.ButtonLife
	maxButtons = 10000
)

// button is what a token stands for: the command line to run, the channel the button was shown
// in, and the panel (the reply's set of buttons) it belongs to.
type button struct {
	token   string
	line    string
	channel string // the interaction's channel id: a press from elsewhere is refused
	expires time.Time
	panel   *panel
}

// panel is the set of buttons under one reply. Once one of them is pressed the others are
// spent: the reply to that press replaces the message, and a second click (a double click on
// "Post to forum") must not run a command again.
type panel struct{ used bool }

// buttonStore maps tokens to buttons; it is safe for concurrent use. Entries are kept in the
// order they were made, which is also the order they expire in.
type buttonStore struct {
	mu      sync.Mutex
	now     func() time.Time
	byToken map[string]*list.Element
	order   *list.List // of *button, oldest first
	// spent holds the panels of line buttons already pressed (message id and its buttons),
	// until their buttons expire, so that a double click runs one command.
	spent map[string]time.Time
}

func newButtonStore() *buttonStore {
	return &buttonStore{now: time.Now, byToken: map[string]*list.Element{}, order: list.New(), spent: map[string]time.Time{}}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	expires := time.Unix(exp, 0)
	if !now.Before(expires) {
		return "", pressUnknown
	}
	for k, e := range s.spent {
		if !now.Before(e) {
			delete(s.spent, k)
		}
	}
	if _, used := s.spent[panel]; used {
		return "", pressSpent
	}
	if len(s.spent) < maxButtons {
		s.spent[panel] = expires
	}
	return line, pressRun
}

// add stores the lines of one reply's buttons, shown in channel, and returns their tokens.
func (s *buttonStore) add(channel string, lines []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.pruneLocked(now, len(lines))
	p := &panel{}
	tokens := make([]string, len(lines))
	for i, l := range lines {
		b := &button{token: newToken(), line: l, channel: channel, expires: now.Add(buttonTTL), panel: p}
		s.byToken[b.token] = s.order.PushBack(b)
		tokens[i] = b.token
	}
	return tokens
}

// pruneLocked drops expired entries, then the oldest ones until room more fit under maxButtons.
func (s *buttonStore) pruneLocked(now time.Time, room int) {
	for e := s.order.Front(); e != nil; e = s.order.Front() {
		b := e.Value.(*button)
		if now.Before(b.expires) && s.order.Len()+room <= maxButtons {
			return
		}
		s.order.Remove(e)
		delete(s.byToken, b.token)
	}
}

// pressResult says what a press of a token found.
type pressResult int

const (
	pressUnknown pressResult = iota // expired, forgotten (a restart) or never made here
	pressSpent                      // another button of the same reply was pressed already
	pressRun                        // run the line
)

// press looks a token up for a press in channel and, when it is live, spends its panel.
func (s *buttonStore) press(token, channel string) (string, pressResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byToken[token]
	if !ok {
		return "", pressUnknown
	}
	b := e.Value.(*button)
	switch {
	case !s.now().Before(b.expires):
		s.order.Remove(e)
		delete(s.byToken, token)
		return "", pressUnknown
	case b.channel != channel:
		return "", pressUnknown
	case b.panel.used:
		return "", pressSpent
	}
	b.panel.used = true
	return b.line, pressRun
}

// release makes a pressed panel usable again (its command was refused): customID is the
// pressed button's, panel the name pressLine was given.
func (s *buttonStore) release(customID, panel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, line := strings.CutPrefix(customID, lineIDPrefix); line {
		delete(s.spent, panel)
		return
	}
	if e, ok := s.byToken[strings.TrimPrefix(customID, customIDPrefix)]; ok {
		e.Value.(*button).panel.used = false
	}
}

// len returns how many tokens are kept.
func (s *buttonStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

// newToken returns 16 random bytes, URL-safe base64 (22 characters).
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// components renders a reply's actions as action rows of buttons (5 a row, 5 rows at most), each
// carrying its command line, or, when that is too long, a fresh token the line is stored under. It returns an empty, non-nil list
// when there are no actions, so an edit clears the buttons of the message it replaces.
func (a *Adapter) components(channel string, actions []adapters.Action) []discordgo.MessageComponent {
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
		tokens := a.buttons.add(channel, long)
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
