package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
	"github.com/discourse-chatbot/discourse-chatbot/state"
)

func (c *Console) base(r *http.Request, s *session, title, active string, data any) pageData {
	return pageData{Title: title, Active: active, User: &s.user, CSRF: s.csrf, Flash: c.auth.takeFlash(s), Data: data}
}

// readFailed logs a backend read of page that failed and returns the line the page shows
// instead of what could not be read; "" when err is nil.
func (c *Console) readFailed(page, what string, err error) string {
	if err == nil {
		return ""
	}
	c.log.Error("web console: "+page, "err", err)
	return what + " could not be read: " + err.Error()
}

type overviewData struct {
	Overview
	Err   string
	Chart chart
}

func (c *Console) overviewPage(w http.ResponseWriter, r *http.Request, s *session) {
	o, err := c.b.Overview(r.Context())
	d := overviewData{Overview: o, Err: c.readFailed("overview", "Part of this page", err),
		Chart: newChart(o.RequestsPerMinute, o.RequestBudget)}
	c.render.page(w, http.StatusOK, "overview", c.base(r, s, "Overview", "overview", d))
}

type channelsData struct {
	Channels []Channel
	Filters  []string
	Err      string
}

func (c *Console) channelsPage(w http.ResponseWriter, r *http.Request, s *session) {
	chs, err := c.b.Channels(r.Context())
	d := channelsData{Channels: chs, Filters: filters, Err: c.readFailed("channels", "The channels", err)}
	c.render.page(w, http.StatusOK, "channels", c.base(r, s, "Channels", "channels", d))
}

// filters are the rule filters in precedence order, as the forms offer them.
var filters = []string{string(state.Mute), string(state.Thread), string(state.Watch), string(state.Follow), string(state.TagAdded)}

// runCommand runs a rule change, a removal or a test in a channel through the backend's command
// executor, as a chat admin's command, and shows its reply. Only those commands: the console
// builds their text from its forms.
func (c *Console) runCommand(w http.ResponseWriter, r *http.Request, s *session) {
	ref, err := adapters.ParseChannelRef(r.PostFormValue("channel"))
	if err != nil {
		c.auth.setFlash(s, err.Error())
		http.Redirect(w, r, "/channels", http.StatusSeeOther)
		return
	}
	var line string
	switch action := r.PostFormValue("action"); action {
	case "rule":
		f := r.PostFormValue("filter")
		if !isFilter(f) {
			c.auth.setFlash(s, "Choose a filter: "+strings.Join(filters, ", ")+".")
			http.Redirect(w, r, "/channels#"+anchor(ref.String()), http.StatusSeeOther)
			return
		}
		line = f + " " + strings.Join(strings.Fields(r.PostFormValue("target")), " ")
	case "remove":
		n, err := strconv.Atoi(r.PostFormValue("n"))
		if err != nil {
			c.auth.setFlash(s, "No such rule.")
			http.Redirect(w, r, "/channels#"+anchor(ref.String()), http.StatusSeeOther)
			return
		}
		line = "remove " + strconv.Itoa(n)
	case "test":
		line = "test"
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	reply := c.b.Execute(r.Context(), adapters.Command{
		Channel: ref,
		Invoker: adapters.User{ID: "forum:" + s.user.Username, Username: s.user.Username, DisplayName: s.user.Name},
		// A forum admin (or a member of the console's group) administers every channel; the
		// executor still applies access.private_channels.
		IsAdmin: true,
		Text:    line,
		Time:    c.now(),
	})
	c.log.Info("web console: command", "user", s.user.Username, "channel", ref.String(), "text", line)
	c.auth.setFlashText(s, append(adapters.Text{{Kind: adapters.Code, Text: ref.String()}, {Text: " "}}, reply.Text...))
	http.Redirect(w, r, "/channels#"+anchor(ref.String()), http.StatusSeeOther)
}

func isFilter(f string) bool {
	for _, x := range filters {
		if f == x {
			return true
		}
	}
	return false
}

type deliveriesData struct {
	Deliveries
	Err string
}

func (c *Console) deliveriesPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.b.Deliveries(r.Context())
	data := deliveriesData{Deliveries: d, Err: c.readFailed("deliveries", "The deliveries", err)}
	c.render.page(w, http.StatusOK, "deliveries", c.base(r, s, "Deliveries", "deliveries", data))
}

func (c *Console) retry(w http.ResponseWriter, r *http.Request, s *session) {
	c.parkedAction(w, r, s, "retry", c.b.Retry, "queued again")
}

func (c *Console) discard(w http.ResponseWriter, r *http.Request, s *session) {
	c.parkedAction(w, r, s, "discard", c.b.Discard, "discarded")
}

func (c *Console) parkedAction(w http.ResponseWriter, r *http.Request, s *session, what string, do func(context.Context, int64) error, done string) {
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	switch {
	case err != nil:
		c.auth.setFlash(s, "No such notification.")
	default:
		err = do(r.Context(), id)
		switch {
		case errors.Is(err, state.ErrNotFound):
			c.auth.setFlash(s, "Notification "+strconv.FormatInt(id, 10)+" is not parked any more.")
		case err != nil:
			c.log.Error("web console: "+what+" parked notification", "id", id, "err", err)
			c.auth.setFlash(s, "Could not "+what+" notification "+strconv.FormatInt(id, 10)+": "+err.Error())
		default:
			c.log.Info("web console: "+what+" parked notification", "user", s.user.Username, "id", id)
			c.auth.setFlash(s, "Notification "+strconv.FormatInt(id, 10)+" "+done+".")
		}
	}
	http.Redirect(w, r, "/deliveries", http.StatusSeeOther)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	c.render.page(w, http.StatusNotFound, "notfound", c.base(r, s, "Not found", "", nil))
}

func (c *Console) notFoundPlain(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "not found", http.StatusNotFound)
}

// anchor is a channel's id in the channels page.
func anchor(ref string) string {
	var b strings.Builder
	b.WriteString("ch-")
	for _, r := range ref {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
