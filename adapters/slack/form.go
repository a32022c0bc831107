package slack

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// The form "Post to forum from here" opens: a modal asking for the topic's title and category,
// whose submission shows the preview that starts at the message, as `post category:<slug>
// <title>` would.
const (
	// FormCallbackID is the callback_id of the form's modal.
	FormCallbackID = "post_from_here_form"
	// The form's inputs: block_id and action_id alike.
	FormTitle    = "title"
	FormCategory = "category"
	// maxTitle is Discourse's default max_topic_title_length (a site setting; longer titles are
	// refused by the forum with a clear error).
	maxTitle = 255
	// maxCategory is enough for a "parent/child" slug path.
	maxCategory = 200
	// maxHint is Slack's limit on an input block's hint.
	maxHint = 2000
	// openTimeout keeps views.open inside the trigger_id's 3 s life.
	openTimeout = 3 * time.Second
)

// formMeta is what the form carries in its private_metadata (at most 3 000 characters): where
// the transcript starts and how to answer the user, with the shortcut's response_url (valid
// 30 minutes), as a view_submission has none of its own.
type formMeta struct {
	Channel     string `json:"c"`
	Start       string `json:"s"`
	Thread      string `json:"t,omitempty"`
	ResponseURL string `json:"r"`
}

// categoryHint is the category input's hint: what a slug is, and the categories the bot may
// use, as many as fit in Slack's 2 000 characters (the forum is asked for at most a second, so
// that the form opens within the trigger_id's life).
func categoryHint(ctx context.Context, h adapters.Handler) string {
	hint := "The category's slug, as in its URL. Empty: the bot's transcript category."
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	cats := h.Categories(ctx)
	if len(cats) == 0 {
		return hint
	}
	hint += " Categories: "
	for i, c := range cats {
		more := c
		if i > 0 {
			more = ", " + c
		}
		if utf8.RuneCountInString(hint+more) > maxHint-len(", …") {
			return hint + ", …"
		}
		hint += more
	}
	return hint + "."
}

// openForm shows the form to the user of a message shortcut through its trigger_id.
func (a *Adapter) openForm(ctx context.Context, triggerID, hint string, meta formMeta) error {
	md, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	input := func(id, label, placeholder, hint string, max int) *slack.InputBlock {
		el := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, placeholder, false, false), id)
		el.MaxLength = max
		var h *slack.TextBlockObject
		if hint != "" {
			h = slack.NewTextBlockObject(slack.PlainTextType, hint, false, false)
		}
		b := slack.NewInputBlock(id, slack.NewTextBlockObject(slack.PlainTextType, label, false, false), h, el)
		b.Optional = true
		return b
	}
	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: FormCallbackID,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Post to forum", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Preview", false, false),
		Close:      slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			input(FormTitle, "Topic title", "Empty: the channel's name and the date", "", maxTitle),
			input(FormCategory, "Category", "support, or parent/child", hint, maxCategory),
		}},
		PrivateMetadata: string(md),
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	_, err = a.api.OpenViewContext(ctx, triggerID, view)
	return classify("views.open", err)
}

// formInputs reads the title and category a submitted form holds, trimmed.
func formInputs(v slack.View) (title, category string) {
	if v.State == nil {
		return "", ""
	}
	value := func(id string) string { return strings.TrimSpace(v.State.Values[id][id].Value) }
	return value(FormTitle), value(FormCategory)
}

// formErrors returns what the modal shows at its inputs instead of closing (a view_submission
// ack's response_action "errors"), or nil when the form may be submitted.
func formErrors(cb slack.InteractionCallback) map[string]string {
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.CallbackID != FormCallbackID {
		return nil
	}
	_, category := formInputs(cb.View)
	if strings.ContainsFunc(category, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
		return map[string]string{FormCategory: "A category is one word: its slug, as in its URL (support, or parent/child)."}
	}
	return nil
}

// formCommand turns a submitted form into the command it asks for: `post` from the message,
// with the category and title the user gave. The title goes last, quoted, so that no word of
// it (a number, "thread", "to") is read as part of the range.
func formCommand(title, category string) string {
	line := "post"
	if category != "" {
		line += " category:" + strings.Trim(category, "/")
	}
	if title != "" {
		line += ` "` + title + `"`
	}
	return line
}

// viewSubmission runs a submitted form: the preview (or a refusal) goes to the user alone,
// through the shortcut's response_url, as the shortcut's own answer would.
func (a *Adapter) viewSubmission(ctx context.Context, h adapters.Handler, cb slack.InteractionCallback) {
	var meta formMeta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil || meta.Channel == "" || meta.Start == "" || cb.User.ID == "" {
		a.log.Warn("ignored a form without its message", "user", cb.User.ID, "view", cb.View.ID)
		return
	}
	title, category := formInputs(cb.View)
	invoker, admin := a.lookupUser(ctx, cb.User.ID, cb.User.Name)
	cmd := adapters.Command{
		Channel:     adapters.ChannelRef{Platform: platform, ChatID: meta.Channel},
		Invoker:     invoker,
		IsAdmin:     admin,
		Text:        formCommand(title, category),
		StartAt:     adapters.MessageRef(meta.Start),
		Thread:      adapters.MessageRef(meta.Thread),
		Time:        a.now(),
		Interactive: true,
	}
	a.answer(ctx, h, cmd, meta.ResponseURL, false)
}
