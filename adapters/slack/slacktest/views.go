package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Modal limits the fake enforces, as Slack does by answering invalid_arguments
// (https://api.slack.com/reference/surfaces/views, …/block-kit/blocks#input,
// …/block-kit/block-elements#input).
const (
	maxViewTitle       = 24   // a modal's title, submit and close labels
	maxViewBlocks      = 100  // blocks in a modal
	maxPrivateMetadata = 3000 // a view's private_metadata
	maxCallbackID      = 255  // a view's callback_id
	maxInputLabel      = 2000 // an input block's label and hint
	maxInputLength     = 3000 // a plain_text_input's max_length
)

// triggerLife is how long a trigger_id can open a modal (https://api.slack.com/interactivity/handling#modal_responses).
const triggerLife = 3 * time.Second

// trigger is a trigger_id an interaction carried.
type trigger struct {
	user, channel string
	at            time.Time
	used          bool
}

// View is a modal the bot opened with views.open.
type View struct {
	ID              string
	User            string // whom it was shown to: the user whose interaction's trigger_id opened it
	Channel         string // where that interaction happened
	CallbackID      string
	PrivateMetadata string
	Title, Submit   string
	Inputs          []Input
	// Closed says the bot closed the modal on its last submission (an empty ack); Errors holds
	// the errors (by block_id) it showed in the modal instead (response_action "errors").
	Closed bool
	Errors map[string]string
	blocks any
}

// Input is an input block of a view whose element is a plain_text_input.
type Input struct {
	BlockID, ActionID, Label, Placeholder, Hint string
	Optional                                    bool
	MaxLength                                   int // 0: Slack's 3 000
}

// openView serves views.open (https://api.slack.com/methods/views.open): a modal for the user of
// a trigger_id at most 3 s old, used once. A view Slack would refuse is invalid_arguments, and
// recorded in Unhandled with the reason.
func (s *Server) openView(req apiRequest) (int, any) {
	var view map[string]any
	if err := json.Unmarshal([]byte(req.params.Get("view")), &view); err != nil {
		return s.invalidView("view is not a JSON object: " + err.Error())
	}
	v, err := readView(view)
	if err != nil {
		return s.invalidView(err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tr := s.triggers[req.params.Get("trigger_id")]
	switch {
	case tr == nil:
		return http.StatusOK, slackError("invalid_trigger_id")
	case tr.used:
		return http.StatusOK, slackError("exchanged_trigger_id")
	case time.Since(tr.at) > triggerLife:
		return http.StatusOK, slackError("expired_trigger_id")
	}
	tr.used = true
	v.ID, v.User, v.Channel = s.newIDLocked("V"), tr.user, tr.channel
	s.views = append(s.views, v)
	return http.StatusOK, ok(map[string]any{"view": s.viewJSONLocked(v, nil)})
}

func (s *Server) invalidView(reason string) (int, any) {
	s.mu.Lock()
	s.unhandled.Add("views.open: invalid_arguments: " + reason)
	s.mu.Unlock()
	return http.StatusOK, slackError("invalid_arguments")
}

// readView checks a modal view (wire form) against Slack's rules and reads it.
func readView(view map[string]any) (View, error) {
	v := View{blocks: view["blocks"]}
	v.CallbackID, _ = view["callback_id"].(string)
	v.PrivateMetadata, _ = view["private_metadata"].(string)
	var err error
	if view["type"] != "modal" {
		return v, fmt.Errorf("type %v, want modal", view["type"])
	}
	if v.Title, err = plainText(view["title"], "title", maxViewTitle, true); err != nil {
		return v, err
	}
	if v.Submit, err = plainText(view["submit"], "submit", maxViewTitle, false); err != nil {
		return v, err
	}
	if _, err = plainText(view["close"], "close", maxViewTitle, false); err != nil {
		return v, err
	}
	switch {
	case len(v.CallbackID) > maxCallbackID:
		return v, fmt.Errorf("callback_id of %d characters", len(v.CallbackID))
	case len(v.PrivateMetadata) > maxPrivateMetadata:
		return v, fmt.Errorf("private_metadata of %d characters, Slack allows %d", len(v.PrivateMetadata), maxPrivateMetadata)
	}
	blocks, _ := view["blocks"].([]any)
	if len(blocks) == 0 || len(blocks) > maxViewBlocks {
		return v, fmt.Errorf("%d blocks, Slack wants 1 to %d", len(blocks), maxViewBlocks)
	}
	var ids []string
	for i, b := range blocks {
		block, _ := b.(map[string]any)
		id, _ := block["block_id"].(string)
		if id != "" && (slices.Contains(ids, id) || len(id) > maxBlockID) {
			return v, fmt.Errorf("block %d: block_id %q must be unique and at most %d characters", i, id, maxBlockID)
		}
		ids = append(ids, id)
		if block["type"] != "input" {
			continue
		}
		in, err := readInput(block)
		if err != nil {
			return v, fmt.Errorf("block %d: %w", i, err)
		}
		v.Inputs = append(v.Inputs, in)
	}
	if len(v.Inputs) > 0 && v.Submit == "" {
		return v, fmt.Errorf("a modal with inputs needs a submit button")
	}
	return v, nil
}

func readInput(block map[string]any) (Input, error) {
	in := Input{}
	in.BlockID, _ = block["block_id"].(string)
	in.Optional, _ = block["optional"].(bool)
	var err error
	if in.Label, err = plainText(block["label"], "label", maxInputLabel, true); err != nil {
		return in, err
	}
	el, _ := block["element"].(map[string]any)
	if el["type"] != "plain_text_input" {
		return in, fmt.Errorf("input element %v: the fake knows only plain_text_input", el["type"])
	}
	in.ActionID, _ = el["action_id"].(string)
	if in.ActionID == "" || len(in.ActionID) > maxActionID || in.BlockID == "" {
		return in, fmt.Errorf("input %q: block_id and action_id (1 to %d characters) are needed to read its value", in.Label, maxActionID)
	}
	if ml, ok := el["max_length"].(float64); ok {
		if ml < 1 || ml > maxInputLength {
			return in, fmt.Errorf("input %q: max_length %v", in.Label, ml)
		}
		in.MaxLength = int(ml)
	}
	if block["hint"] != nil {
		if in.Hint, err = plainText(block["hint"], "hint", maxInputLabel, true); err != nil {
			return in, err
		}
	}
	if el["placeholder"] != nil {
		if in.Placeholder, err = plainText(el["placeholder"], "placeholder", 150, true); err != nil {
			return in, err
		}
	}
	return in, nil
}

// plainText reads a plain_text object of at most max characters; a missing one is an error when
// required.
func plainText(v any, what string, max int, required bool) (string, error) {
	if v == nil {
		if required {
			return "", fmt.Errorf("%s is missing", what)
		}
		return "", nil
	}
	t, _ := v.(map[string]any)
	s, _ := t["text"].(string)
	switch {
	case t["type"] != "plain_text":
		return "", fmt.Errorf("%s must be plain_text", what)
	case s == "" || utf8.RuneCountInString(s) > max:
		return "", fmt.Errorf("%s %q must be 1 to %d characters", what, s, max)
	}
	return s, nil
}

// viewJSONLocked is a view as Slack shows it to the app, with the input values when given
// (keyed by action_id).
func (s *Server) viewJSONLocked(v View, values map[string]string) map[string]any {
	state := map[string]any{}
	for _, in := range v.Inputs {
		if values == nil {
			continue
		}
		var val any // an empty input is null
		if x := values[in.ActionID]; x != "" {
			val = x
		}
		state[in.BlockID] = map[string]any{in.ActionID: map[string]any{"type": "plain_text_input", "value": val}}
	}
	return map[string]any{
		"id": v.ID, "team_id": TeamID, "type": "modal", "callback_id": v.CallbackID,
		"private_metadata": v.PrivateMetadata, "blocks": v.blocks, "hash": "h." + v.ID,
		"title":  map[string]any{"type": "plain_text", "text": v.Title, "emoji": true},
		"state":  map[string]any{"values": state},
		"app_id": AppID, "bot_id": BotID, "root_view_id": v.ID, "previous_view_id": nil,
		"close": nil, "submit": map[string]any{"type": "plain_text", "text": v.Submit, "emoji": true},
		"external_id": "", "clear_on_close": false, "notify_on_close": false, "app_installed_team_id": TeamID,
	}
}

// Views returns the modals the bot opened, oldest first, as they stand.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.views))
	for i, v := range s.views {
		v.Inputs = slices.Clone(v.Inputs)
		out[i] = v
	}
	return out
}

// SubmitView makes the user the modal id was shown to fill its inputs with values (by
// action_id; a missing one is left empty) and press its submit button: Slack's interactive
// envelope (a view_submission payload,
// https://api.slack.com/reference/interaction-payloads/views#view_submission) goes over Socket
// Mode; it returns the envelope id. The bot's ack then closes the modal or shows its errors
// (View.Closed, View.Errors). Values Slack's client would not submit (a required input left
// empty, one over its max_length, an unknown action_id) are recorded in Unhandled.
func (s *Server) SubmitView(id string, values map[string]string) string {
	s.mu.Lock()
	i := slices.IndexFunc(s.views, func(v View) bool { return v.ID == id })
	if i < 0 {
		s.unhandled.Add("SubmitView: no view " + id)
		s.mu.Unlock()
		return ""
	}
	v := s.views[i]
	for _, in := range v.Inputs {
		n := utf8.RuneCountInString(values[in.ActionID])
		switch {
		case n == 0 && !in.Optional:
			s.unhandled.Add("SubmitView: required input " + in.ActionID + " left empty")
		case in.MaxLength > 0 && n > in.MaxLength:
			s.unhandled.Add(fmt.Sprintf("SubmitView: input %s of %d characters, max_length %d", in.ActionID, n, in.MaxLength))
		}
	}
	for k := range values {
		if !slices.ContainsFunc(v.Inputs, func(in Input) bool { return in.ActionID == k }) {
			s.unhandled.Add("SubmitView: the view has no input " + k)
		}
	}
	inv := s.invocationLocked(adapters.ChannelRef{Platform: "slack", ChatID: v.Channel}, v.User, "")
	payload := inv.interaction("view_submission", v.User, v.Channel)
	delete(payload, "channel") // a view belongs to no channel
	delete(payload, "response_url")
	payload["api_app_id"], payload["view"], payload["response_urls"] = AppID, s.viewJSONLocked(v, values), []any{}
	s.mu.Unlock()
	return s.enqueue("interactive", payload)
}

// recordViewAckLocked applies the bot's ack of a view_submission to the view: an empty ack
// closes it, response_action "errors" shows errors in it.
func (s *Server) recordViewAckLocked(e *envelope, payload json.RawMessage) {
	pl, _ := e.Payload.(map[string]any)
	if pl["type"] != "view_submission" {
		return
	}
	view, _ := pl["view"].(map[string]any)
	i := slices.IndexFunc(s.views, func(v View) bool { return v.ID == view["id"] })
	if i < 0 {
		return
	}
	var ack struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if len(payload) > 0 && string(payload) != "null" {
		if err := json.Unmarshal(payload, &ack); err != nil {
			s.unhandled.Add("view_submission ack: " + err.Error())
			return
		}
	}
	v := &s.views[i]
	switch ack.ResponseAction {
	case "":
		v.Closed, v.Errors = true, nil
	case "errors":
		for block := range ack.Errors {
			if !slices.ContainsFunc(v.Inputs, func(in Input) bool { return in.BlockID == block }) {
				s.unhandled.Add("view_submission ack: errors for " + block + ", which is no input block")
			}
		}
		v.Errors = ack.Errors
	default:
		s.unhandled.Add("view_submission ack: response_action " + ack.ResponseAction + " the fake does not know")
	}
}
