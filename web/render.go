package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

//go:embed templates
var templateFS embed.FS

// pages are the templates under templates/, each rendered inside layout.html.
var pages = []string{"login", "signedin", "overview", "channels", "deliveries", "notfound"}

type renderer struct {
	pages map[string]*template.Template
	now   func() time.Time
}

// pageData is what every page gets.
type pageData struct {
	Title  string
	Active string // the nav entry of this page
	User   *User  // nil before sign-in
	CSRF   string
	Flash  adapters.Text
	Data   any
}

func newRenderer() (*renderer, error) {
	r := &renderer{pages: map[string]*template.Template{}, now: time.Now}
	funcs := template.FuncMap{
		"text":   textHTML,
		"ago":    r.ago,
		"since":  r.since,
		"dur":    humanDuration,
		"anchor": anchor,
		"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"plural": plural,
	}
	for _, p := range pages {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", p, err)
		}
		r.pages[p] = t
	}
	return r, nil
}

// page renders a page whole before writing, so that a template error is a clean 500.
func (r *renderer) page(w http.ResponseWriter, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := r.pages[name].Execute(&buf, data); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// textHTML renders a command reply's spans as HTML, escaping every span.
func textHTML(t adapters.Text) template.HTML {
	var b strings.Builder
	esc := func(s string) string {
		return strings.ReplaceAll(template.HTMLEscapeString(s), "\n", "<br>")
	}
	for _, s := range t {
		switch s.Kind {
		case adapters.Bold:
			b.WriteString("<strong>" + esc(s.Text) + "</strong>")
		case adapters.Italic:
			b.WriteString("<em>" + esc(s.Text) + "</em>")
		case adapters.Code:
			b.WriteString("<code>" + esc(s.Text) + "</code>")
		case adapters.CodeBlock:
			b.WriteString("<pre>" + template.HTMLEscapeString(s.Text) + "</pre>")
		case adapters.Link:
			if strings.HasPrefix(s.URL, "https://") || strings.HasPrefix(s.URL, "http://") {
				b.WriteString(`<a href="` + template.HTMLEscapeString(s.URL) + `" rel="noreferrer">` + esc(s.Text) + "</a>")
			} else {
				b.WriteString(esc(s.Text))
			}
		default:
			b.WriteString(esc(s.Text))
		}
	}
	return template.HTML(b.String()) //nolint:gosec // every piece is escaped above
}

// ago says how long ago t was ("never" for the zero time).
func (r *renderer) ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return humanDuration(r.now().Sub(t)) + " ago"
}

// since is ago without "ago", for ages ("pending for 3 min").
func (r *renderer) since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return humanDuration(r.now().Sub(t))
}

func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%d h %d min", int(d.Hours()), m)
		}
		return strconv.Itoa(int(d.Hours())) + " h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// chart is the forum requests a minute, drawn as SVG bars by the overview template.
type chart struct {
	Width, Height int
	Bars          []bar
	Max           int
	Total         int
	Last          int
	// BudgetY is the y of the forum.max_requests_per_minute line, -1 when off the chart or unset.
	BudgetY int
	Budget  int
	Minutes int
}

type bar struct {
	X, Y, W, H int
	Title      string
}

const (
	chartWidth  = 600
	chartHeight = 120
)

func newChart(perMinute []int, budget int) chart {
	c := chart{Width: chartWidth, Height: chartHeight, BudgetY: -1, Budget: budget, Minutes: len(perMinute)}
	for _, n := range perMinute {
		c.Max = max(c.Max, n)
		c.Total += n
	}
	if len(perMinute) > 0 {
		c.Last = perMinute[len(perMinute)-1]
	}
	top := max(c.Max, 1)
	if budget > 0 {
		top = max(top, budget)
	}
	if len(perMinute) == 0 {
		return c
	}
	slot := chartWidth / len(perMinute)
	for i, n := range perMinute {
		h := n * (chartHeight - 2) / top
		if n > 0 && h < 1 {
			h = 1
		}
		ago := len(perMinute) - 1 - i
		title := plural(n, "request", "requests") + ", "
		if ago == 0 {
			title += "this minute"
		} else {
			title += plural(ago, "minute", "minutes") + " ago"
		}
		c.Bars = append(c.Bars, bar{X: i * slot, Y: chartHeight - h, W: max(slot-1, 1), H: h, Title: title})
	}
	if budget > 0 {
		c.BudgetY = chartHeight - budget*(chartHeight-2)/top
	}
	return c
}
