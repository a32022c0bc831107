package slack

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Block Kit limits for the buttons under a reply
// (https://api.slack.com/reference/block-kit/block-elements#button,
// https://api.slack.com/reference/block-kit/blocks#actions).
const (
	maxButtonText     = 75   // a button's plain_text label
	maxButtonValue    = 2000 // a button's value: the command line it runs
	maxActionElements = 25   // elements in one actions block
	maxButtons        = 100  // all buttons of a reply: 4 actions blocks
	maxBlocks         = 50   // blocks in one message
)

// actionIDPrefix marks our buttons' action_ids ("dcb_action_0", …): presses on anything else
// (another app's message, a future kind of button) are acknowledged and ignored.
const actionIDPrefix = "dcb_action_"

// expiryPrefix starts the block_id of our actions blocks: "dcb_exp_<unix seconds>_<panel>_<n>",
// the moment the buttons in it expire (adapters.ButtonLife after they were shown), a random name
// of the reply's set of buttons (its panel: a reply that replaces the message brings a new one)
// and the block's number, as block_ids must be unique in a message. Slack sends the block_id of
// a pressed button back as the message holds it, so the expiry needs no memory and outlives a
// restart; the message is the bot's own, so nobody else can write it.
const expiryPrefix = "dcb_exp_"

// expiryBlockID returns the block_id of the n-th actions block of the panel whose buttons
// expire at expires.
func expiryBlockID(expires time.Time, panel string, n int) string {
	return expiryPrefix + strconv.FormatInt(expires.Unix(), 10) + "_" + panel + "_" + strconv.Itoa(n)
}

// newPanel names a reply's set of buttons.
func newPanel() string { return strconv.FormatUint(rand.Uint64(), 36) }

// buttonsExpire reads when the buttons of an actions block expire from its block_id, and the
// panel they belong to. A block without our expiry (shown by an older version of the bot)
// counts as expired: its age is unknown.
func buttonsExpire(blockID string) (expires time.Time, panel string) {
	rest, ok := strings.CutPrefix(blockID, expiryPrefix)
	if !ok {
		return time.Time{}, ""
	}
	secs, rest, _ := strings.Cut(rest, "_")
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, ""
	}
	panel, _, _ = strings.Cut(rest, "_")
	return time.Unix(n, 0), panel
}

// buttons renders Reply.Actions as Block Kit buttons: action_id unique in the message, value the
// command line, style primary for the main action. A command too long for a button's value
// (Slack refuses the whole message) is left out and logged.
func (a *Adapter) buttons(actions []adapters.Action) []slack.BlockElement {
	var out []slack.BlockElement
	for i, act := range actions {
		if len(out) == maxButtons {
			a.log.Warn("a reply has more buttons than Slack shows; the rest are left out", "buttons", len(actions))
			break
		}
		if utf8.RuneCountInString(act.Command) > maxButtonValue || strings.TrimSpace(act.Command) == "" {
			a.log.Warn("a button's command does not fit in a Slack button; it is left out",
				"label", act.Label, "chars", utf8.RuneCountInString(act.Command))
			continue
		}
		label := strings.TrimSpace(act.Label)
		if label == "" {
			label = act.Command
		}
		b := slack.NewButtonBlockElement(actionIDPrefix+strconv.Itoa(i), act.Command,
			slack.NewTextBlockObject(slack.PlainTextType, truncate(label, maxButtonText), true, false))
		if act.Primary {
			b.Style = slack.StylePrimary
		}
		out = append(out, b)
	}
	return out
}

// replyBlocks lays out a reply with buttons: the text in section blocks (split at lines to fit
// Slack's 3 000 characters each, 50 blocks in all), then the buttons in actions blocks of at
// most 25, whose block_ids say the buttons expire at expires.
func replyBlocks(text string, buttons []slack.BlockElement, expires time.Time) []slack.Block {
	panel := newPanel()
	var blocks []slack.Block
	parts := splitSections(text, maxSectionText)
	if room := maxBlocks - (len(buttons)+maxActionElements-1)/maxActionElements; len(parts) > room {
		parts = parts[:room] // more text than a message holds: cut it, say so
		if last := parts[room-1]; utf8.RuneCountInString(last) <= maxSectionText-2 {
			parts[room-1] = last + "\n…"
		} else {
			parts[room-1] = truncate(last, maxSectionText)
		}
	}
	for _, part := range parts {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(part), nil, nil))
	}
	for len(buttons) > 0 {
		n := min(len(buttons), maxActionElements)
		blocks = append(blocks, slack.NewActionBlock(expiryBlockID(expires, panel, len(blocks)), buttons[:n]...))
		buttons = buttons[n:]
	}
	return blocks
}

// splitSections cuts mrkdwn into parts of at most max characters, at line ends where it can; a
// code block cut in two is closed and reopened so both halves stay code. Empty text has no part.
func splitSections(text string, max int) []string {
	text = strings.TrimRight(text, "\n")
	if strings.TrimSpace(text) == "" {
		return nil
	}
	const fence = "```"
	var (
		parts []string
		cur   strings.Builder
	)
	flush := func() {
		s := cur.String()
		cur.Reset()
		if strings.Count(s, fence)%2 == 1 { // inside a code block: close it here, reopen next
			s += "\n" + fence
			cur.WriteString(fence + "\n")
		}
		if strings.TrimSpace(s) != "" {
			parts = append(parts, s)
		}
	}
	room := max - len("\n"+fence) // space kept for closing a code block
	for _, line := range strings.Split(text, "\n") {
		for utf8.RuneCountInString(line) > room {
			flush()
			r := []rune(line)
			head := truncate(string(r[:room]), room-len(fence)-1)
			head = strings.TrimSuffix(head, "…")
			cur.WriteString(head)
			line = strings.TrimPrefix(string(r), head)
		}
		sep := 0
		if cur.Len() > 0 {
			sep = 1
		}
		if utf8.RuneCountInString(cur.String())+sep+utf8.RuneCountInString(line) > room {
			flush()
			sep = 0
			if cur.Len() > 0 {
				sep = 1
			}
		}
		if sep == 1 {
			cur.WriteString("\n")
		}
		cur.WriteString(line)
	}
	flush()
	return parts
}

// ourAction returns the first of our buttons in a block_actions payload, or nil.
func ourAction(cb slack.InteractionCallback) *slack.BlockAction {
	if cb.Type != slack.InteractionTypeBlockActions {
		return nil
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act != nil && strings.HasPrefix(act.ActionID, actionIDPrefix) {
			return act
		}
	}
	return nil
}

// blockAction runs the command a pressed button carries, as if the presser had typed it in the
// same channel, and replaces the message that held the button with the reply (through the
// payload's response_url). A press Slack delivers twice (its ack lost), or a second press on the
// same set of buttons (a double click on "Post to forum"), runs once; a refused press leaves the
// buttons usable. A press on expired buttons runs nothing: the message, seen by the presser
// alone, says they expired.
func (a *Adapter) blockAction(ctx context.Context, h adapters.Handler, cb slack.InteractionCallback, act slack.BlockAction) {
	chID := cb.Channel.ID
	if chID == "" {
		chID = cb.Container.ChannelID
	}
	if chID == "" || cb.User.ID == "" || strings.TrimSpace(act.Value) == "" {
		a.log.Warn("ignored a button press without channel, user or command",
			"channel", chID, "user", cb.User.ID, "action", act.ActionID)
		return
	}
	expires, panel := buttonsExpire(act.BlockID)
	if !a.now().Before(expires) {
		a.log.Info("a press on expired buttons; said so", "channel", chID, "user", cb.User.ID)
		a.respond(ctx, cb.ResponseURL, true, escape(adapters.ButtonsExpired), nil)
		return
	}
	// Presses in one channel run one at a time (the dispatcher), so no other can come between.
	spent := "panel/" + chID + "/" + cb.Container.MessageTs + "/" + panel
	if a.spent.Contains(spent) {
		a.log.Debug("a button of an already answered reply was pressed", "channel", chID)
		return
	}
	a.spent.Add(spent, struct{}{})
	if act.ActionTs != "" {
		key := "press/" + cb.User.ID + "/" + act.ActionTs
		if a.seen.Contains(key) {
			return
		}
		a.seen.Add(key, struct{}{})
	}
	invoker, admin := a.lookupUser(ctx, cb.User.ID, cb.User.Name)
	cmd := adapters.Command{
		Channel:     adapters.ChannelRef{Platform: platform, ChatID: chID},
		Invoker:     invoker,
		IsAdmin:     admin,
		Text:        strings.TrimSpace(act.Value),
		Thread:      adapters.MessageRef(cb.Container.ThreadTs),
		Time:        a.now(),
		Interactive: true,
	}
	if refused := a.answer(ctx, h, cmd, cb.ResponseURL, true); refused {
		a.spent.Remove(spent) // the preview keeps its buttons, usable again
	}
}
