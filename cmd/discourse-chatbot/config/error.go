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

// Errors is every problem of one config file, in the order of their lines (problems without a
// line last): Load reports them all at once instead of stopping at the first. A single problem
// reads exactly like its *Error.
type Errors []*Error

// Error is one line per problem.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.As(err, &*Error) and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
