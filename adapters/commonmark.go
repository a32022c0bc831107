package adapters

import "strings"

// Message text crosses the contract as CommonMark (Message.Text): each adapter converts its
// platform's markup (Slack's <url|text> and <@U…>, Discord's <@id> and <:emoji:id>) into it,
// and only outside code, whose text stays as it is. These helpers find the code.

// CodeSpans returns where s has code, as CommonMark reads it: a run of n backticks opens a span
// that the next run of exactly n backticks closes; a run that nothing closes is plain text, and
// so is a backtick escaped with a backslash. A span of fewer than three backticks across lines
// counts as text: it could hide a line that starts a block, so transcripts escape it as text.
func CodeSpans(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case '`':
		default:
			i++
			continue
		}
		open := backtickRunEnd(s, i)
		n, closed := open-i, -1
		for k := open; k < len(s); {
			if s[k] != '`' {
				k++
				continue
			}
			e := backtickRunEnd(s, k)
			if e-k == n {
				closed = e
				break
			}
			k = e
		}
		if closed < 0 {
			i = open
			continue
		}
		if n >= 3 || !strings.Contains(s[i:closed], "\n") {
			out = append(out, [2]int{i, closed})
		}
		i = closed
	}
	return out
}

// BacktickRun is the length of the run of backticks that starts s.
func BacktickRun(s string) int { return backtickRunEnd(s, 0) }

func backtickRunEnd(s string, i int) int {
	for i < len(s) && s[i] == '`' {
		i++
	}
	return i
}

// OutsideCode rewrites s piece by piece: text gets each stretch outside code, code each code
// span or block (CodeSpans, backticks included) with the text written before it and the text of
// s after it.
func OutsideCode(s string, text func(string) string, code func(code, before, after string) string) string {
	var b strings.Builder
	last := 0
	for _, loc := range CodeSpans(s) {
		b.WriteString(text(s[last:loc[0]]))
		b.WriteString(code(s[loc[0]:loc[1]], b.String(), s[loc[1]:]))
		last = loc[1]
	}
	b.WriteString(text(s[last:]))
	return b.String()
}
