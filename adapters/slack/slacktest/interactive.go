package slacktest

import (
	"fmt"
	"unicode/utf8"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Block Kit limits the fake enforces, as Slack does by answering invalid_blocks
// (https://api.slack.com/reference/block-kit/blocks, …/block-elements#button).
const (
	maxBlocks         = 50   // blocks in one message
	maxSectionText    = 3000 // a section block's text
	maxActionElements = 25   // elements in one actions block
	maxButtonText     = 75   // a button's plain_text label
	maxButtonValue    = 2000 // a button's value
	maxActionID       = 255  // an action_id
	maxBlockID        = 255  // a block_id
)

// Button is one button of a message's actions blocks, as the bot sent it.
type Button struct {
	ActionID string
	Text     string // the label
	Value    string
	Style    string // "", "primary" or "danger"
	blockID  string
}

// InjectBlockAction makes userID press the button actionID in ch and sends Slack's interactive
// envelope (a block_actions payload) over Socket Mode; it returns the envelope id. The button is
// looked up in the newest message of ch that holds it: the payload then carries that message's
// container (ephemeral for response_url replies), the button's label, block and style, and a
// response_url whose replace_original replaces that message (Posts shows the new content with
// Replaced set). A press on a button no message holds is still sent, as a foreign or stale
// button would be; a value that differs from the button's is recorded in Unhandled, since Slack
// always sends the value the message holds.
func (s *Server) InjectBlockAction(ch adapters.ChannelRef, userID, actionID, value string) string {
	s.mu.Lock()
	var (
		btn       Button
		target    string
		ephemeral bool
		msg       map[string]any
	)
	for i := len(s.posts) - 1; i >= 0 && target == ""; i-- {
		p := s.posts[i]
		if p.Channel != ch.ChatID || p.Deleted {
			continue
		}
		for _, b := range p.Buttons {
			if b.ActionID == actionID {
				btn, target, ephemeral = b, p.ref, p.Ephemeral
				if !p.Ephemeral {
					msg = map[string]any{"type": "message", "ts": p.TS, "text": p.Text, "user": BotUser, "bot_id": BotID}
				}
				break
			}
		}
	}
	if target != "" && btn.Value != value {
		s.unhandled.Add(fmt.Sprintf("InjectBlockAction: value %q, but the button %s holds %q", value, actionID, btn.Value))
	}
	messageTS := target
	if messageTS == "" {
		messageTS = s.nextTSLocked()
		btn = Button{ActionID: actionID, Text: actionID, Value: value, blockID: "b0"}
		ephemeral = true
	}
	inv := s.invocationLocked(ch, userID, target)
	s.mu.Unlock()

	action := map[string]any{"type": "button", "action_id": btn.ActionID, "block_id": btn.blockID,
		"text":  map[string]any{"type": "plain_text", "text": btn.Text, "emoji": true},
		"value": value, "action_ts": inv.actionTS}
	if btn.Style != "" {
		action["style"] = btn.Style
	}
	payload := inv.interaction("block_actions", userID, ch.ChatID)
	payload["container"] = map[string]any{"type": "message", "message_ts": messageTS, "channel_id": ch.ChatID, "is_ephemeral": ephemeral}
	payload["state"], payload["api_app_id"] = map[string]any{"values": map[string]any{}}, AppID
	payload["actions"] = []any{action}
	if msg != nil {
		payload["message"] = msg
	}
	return s.enqueue("interactive", payload)
}

// buttons reads the buttons of a message's blocks (wire form) and checks them and the blocks
// against Slack's limits; a violation is Slack's invalid_blocks, with the reason.
func buttons(blocks any) ([]Button, error) {
	if blocks == nil {
		return nil, nil
	}
	list, ok := blocks.([]any)
	if !ok {
		return nil, fmt.Errorf("blocks is not an array")
	}
	if len(list) > maxBlocks {
		return nil, fmt.Errorf("%d blocks, Slack allows %d", len(list), maxBlocks)
	}
	var out []Button
	seen := map[string]bool{}
	blockIDs := map[string]bool{}
	for i, b := range list {
		block, _ := b.(map[string]any)
		typ, _ := block["type"].(string)
		if id, _ := block["block_id"].(string); id != "" {
			if len(id) > maxBlockID || blockIDs[id] {
				return nil, fmt.Errorf("block %d: block_id %q must be unique in the message and at most %d characters", i, id, maxBlockID)
			}
			blockIDs[id] = true
		}
		switch typ {
		case "section":
			if t, ok := block["text"].(map[string]any); ok {
				if s, _ := t["text"].(string); utf8.RuneCountInString(s) > maxSectionText {
					return nil, fmt.Errorf("block %d: section text of %d characters, Slack allows %d", i, utf8.RuneCountInString(s), maxSectionText)
				}
			}
		case "actions":
			elems, _ := block["elements"].([]any)
			if len(elems) == 0 || len(elems) > maxActionElements {
				return nil, fmt.Errorf("block %d: actions block with %d elements, Slack wants 1 to %d", i, len(elems), maxActionElements)
			}
			blockID, _ := block["block_id"].(string)
			if blockID == "" {
				blockID = fmt.Sprintf("b%d", i) // Slack makes one up
			}
			for _, e := range elems {
				el, _ := e.(map[string]any)
				if el["type"] != "button" {
					continue
				}
				btn, err := button(el, blockID)
				if err != nil {
					return nil, fmt.Errorf("block %d: %w", i, err)
				}
				if seen[btn.ActionID] {
					return nil, fmt.Errorf("block %d: action_id %q is not unique in the message", i, btn.ActionID)
				}
				seen[btn.ActionID] = true
				out = append(out, btn)
			}
		}
	}
	return out, nil
}

func button(el map[string]any, blockID string) (Button, error) {
	b := Button{blockID: blockID}
	b.ActionID, _ = el["action_id"].(string)
	b.Value, _ = el["value"].(string)
	b.Style, _ = el["style"].(string)
	if t, ok := el["text"].(map[string]any); ok {
		if t["type"] != "plain_text" {
			return b, fmt.Errorf("button %q: text must be plain_text", b.ActionID)
		}
		b.Text, _ = t["text"].(string)
	}
	switch {
	case b.ActionID == "" || len(b.ActionID) > maxActionID:
		return b, fmt.Errorf("button %q: action_id must be 1 to %d characters", b.Text, maxActionID)
	case b.Text == "" || utf8.RuneCountInString(b.Text) > maxButtonText:
		return b, fmt.Errorf("button %q: label must be 1 to %d characters", b.ActionID, maxButtonText)
	case utf8.RuneCountInString(b.Value) > maxButtonValue:
		return b, fmt.Errorf("button %q: value of %d characters, Slack allows %d", b.ActionID, utf8.RuneCountInString(b.Value), maxButtonValue)
	case b.Style != "" && b.Style != "primary" && b.Style != "danger":
		return b, fmt.Errorf("button %q: style %q", b.ActionID, b.Style)
	}
	return b, nil
}

// InjectMessageShortcut makes userID pick the message shortcut callbackID ("Post to forum from
// here") on the message ts in ch and sends Slack's interactive envelope (a message_action
// payload, https://api.slack.com/reference/interaction-payloads/shortcuts) over Socket Mode; it
// returns the envelope id. The payload carries the whole message as the history holds it
// (with thread_ts for a reply in a thread) and a response_url for ephemeral answers to userID.
// A ts the channel does not hold is recorded in Unhandled: Slack offers shortcuts only on
// messages that exist.
func (s *Server) InjectMessageShortcut(ch adapters.ChannelRef, userID, callbackID, ts string) string {
	s.mu.Lock()
	var msg map[string]any
	if c := s.channels[ch.ChatID]; c != nil {
		for _, m := range c.messages {
			if m.TS != ts {
				continue
			}
			msg = map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "team": TeamID}
			if m.User != "" {
				msg["user"] = m.User
			}
			if m.BotID != "" {
				msg["bot_id"] = m.BotID
			}
			if m.ThreadTS != "" {
				msg["thread_ts"] = m.ThreadTS
			}
			if m.Subtype != "" {
				msg["subtype"] = m.Subtype
			}
		}
	}
	if msg == nil {
		s.unhandled.Add(fmt.Sprintf("InjectMessageShortcut: no message %s in %s", ts, ch.ChatID))
		msg = map[string]any{"type": "message", "ts": ts}
	}
	inv := s.invocationLocked(ch, userID, "")
	s.mu.Unlock()
	payload := inv.interaction("message_action", userID, ch.ChatID)
	payload["callback_id"], payload["message_ts"], payload["message"] = callbackID, ts, msg
	payload["action_ts"] = inv.actionTS // block_actions carry it in each action instead
	return s.enqueue("interactive", payload)
}
