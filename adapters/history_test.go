package adapters_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

func TestHistoryPlan(t *testing.T) {
	tests := []struct {
		name      string
		q         adapters.HistoryQuery
		mode      adapters.HistoryMode
		read      int
		tooLongAt int // the fewest messages read that CheckRange refuses, 0: never
	}{
		{"the newest n", adapters.HistoryQuery{Limit: 30}, adapters.HistoryLatest, 30, 0},
		{"no limit: the default", adapters.HistoryQuery{}, adapters.HistoryLatest, adapters.DefaultHistoryLimit, 0},
		{"a huge limit is bounded", adapters.HistoryQuery{Limit: 1 << 30}, adapters.HistoryLatest, adapters.MaxHistoryLimit, 0},
		{"from a link: one past the cap", adapters.HistoryQuery{Limit: 30, FromLink: "l"}, adapters.HistoryFrom, 31, 31},
		{"a thread link", adapters.HistoryQuery{Limit: 30, ThreadLink: "l"}, adapters.HistoryThreadLink, 31, 31},
		{"a thread", adapters.HistoryQuery{Limit: 30, Thread: "t"}, adapters.HistoryThread, 31, 31},
		{"a link beats a thread id", adapters.HistoryQuery{Limit: 30, ThreadLink: "l", Thread: "t"}, adapters.HistoryThreadLink, 31, 31},
		{"a range with no limit: the default cap", adapters.HistoryQuery{Thread: "t"}, adapters.HistoryThread, adapters.DefaultHistoryLimit + 1, adapters.DefaultHistoryLimit + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mode, read := adapters.HistoryPlan(tt.q)
			if mode != tt.mode || read != tt.read {
				t.Errorf("HistoryPlan = %v, %d; want %v, %d", mode, read, tt.mode, tt.read)
			}
			if tt.tooLongAt == 0 {
				if err := adapters.CheckRange(tt.q, read); err != nil {
					t.Errorf("CheckRange(%d) = %v for the newest messages", read, err)
				}
				return
			}
			if err := adapters.CheckRange(tt.q, tt.tooLongAt-1); err != nil {
				t.Errorf("CheckRange(%d) = %v, want nil: the cap itself fits", tt.tooLongAt-1, err)
			}
			err := adapters.CheckRange(tt.q, tt.tooLongAt)
			if max, ok := adapters.TooLong(err); !ok || max != tt.tooLongAt-1 {
				t.Errorf("CheckRange(%d) = %v, want a TooLongError naming %d", tt.tooLongAt, err, tt.tooLongAt-1)
			}
		})
	}
}

// here is a channel of the platform "chat" that the ReadHistory tests read.
var here = adapters.ChannelRef{Platform: "chat", ChatID: "C1"}

// fakeReads answers each stretch with n messages and records which read was asked for what.
func fakeReads(n int, asked *string) adapters.HistoryReads[string] {
	read := func(what string, limit int) ([]string, error) {
		*asked = fmt.Sprintf("%s %d", what, limit)
		return slices.Repeat([]string{what}, n), nil
	}
	return adapters.HistoryReads[string]{
		Latest:     func(limit int) ([]string, error) { return read("latest", limit) },
		From:       func(link string, limit int) ([]string, error) { return read("from "+link, limit) },
		ThreadLink: func(link string, limit int) ([]string, error) { return read("thread link "+link, limit) },
		Thread: func(root adapters.MessageRef, limit int) ([]string, error) {
			return read("thread "+string(root), limit)
		},
	}
}

func TestReadHistory(t *testing.T) {
	tests := []struct {
		name  string
		q     adapters.HistoryQuery
		read  int    // how many messages the platform's read returns
		asked string // which read ReadHistory calls, with which limit
		cap   int    // the cap a TooLongError names, 0: no error
	}{
		{"the newest n", adapters.HistoryQuery{Channel: here, Limit: 3}, 3, "latest 3", 0},
		{"from a link", adapters.HistoryQuery{Channel: here, Limit: 3, FromLink: "L"}, 3, "from L 4", 0},
		{"a thread link", adapters.HistoryQuery{Channel: here, Limit: 3, ThreadLink: "L"}, 2, "thread link L 4", 0},
		{"a thread", adapters.HistoryQuery{Channel: here, Limit: 3, Thread: "T"}, 1, "thread T 4", 0},
		{"a range past the cap is refused", adapters.HistoryQuery{Channel: here, Limit: 3, FromLink: "L"}, 4, "from L 4", 3},
		{"a thread past the cap is refused", adapters.HistoryQuery{Channel: here, Limit: 3, Thread: "T"}, 4, "thread T 4", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked string
			msgs, err := adapters.ReadHistory(tt.q, "chat", fakeReads(tt.read, &asked))
			if asked != tt.asked {
				t.Errorf("read %q, want %q", asked, tt.asked)
			}
			if tt.cap != 0 {
				if max, ok := adapters.TooLong(err); !ok || max != tt.cap || msgs != nil {
					t.Errorf("ReadHistory = %d messages, %v; want a TooLongError naming %d", len(msgs), err, tt.cap)
				}
				return
			}
			if err != nil || len(msgs) != tt.read {
				t.Errorf("ReadHistory = %d messages, %v; want %d", len(msgs), err, tt.read)
			}
		})
	}
}

func TestReadHistoryPassesTheReadsError(t *testing.T) {
	r := fakeReads(0, new(string))
	r.From = func(string, int) ([]string, error) { return nil, adapters.ErrBadLink }
	if _, err := adapters.ReadHistory(adapters.HistoryQuery{Channel: here, FromLink: "L"}, "chat", r); !errors.Is(err, adapters.ErrBadLink) {
		t.Errorf("ReadHistory = %v, want the read's ErrBadLink", err)
	}
}

func TestReadHistoryRefusesAnotherPlatformsChannel(t *testing.T) {
	for _, ch := range []adapters.ChannelRef{{Platform: "other", ChatID: "C1"}, {Platform: "chat"}} {
		var asked string
		_, err := adapters.ReadHistory(adapters.HistoryQuery{Channel: ch}, "chat", fakeReads(1, &asked))
		if err == nil || asked != "" {
			t.Errorf("ReadHistory(%v) = %v after reading %q; want an error and no read", ch, err, asked)
		}
	}
}
