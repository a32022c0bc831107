package config

import (
	"fmt"
	"strings"
)

// Error is every error the config package returns: it names the key by its full dotted path
// ("forum.poll_interval", "rules[0].channel") and the line it is on, when there is one.
type Error struct {
	Path string // dotted key path; empty for errors about the whole file
	Line int    // 1-based line in the file; 0 when unknown (a key that is missing)
	Msg  string
	Err  error // the underlying error, if any (for errors.Is)
}

// Error formats as "config: forum.poll_interval (line 4): "abc" is not a duration".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	switch {
	case e.Path != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s (line %d): ", e.Path, e.Line)
	case e.Path != "":
		b.WriteString(e.Path + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(path string, line int, format string, args ...any) *Error {
	return &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
}
