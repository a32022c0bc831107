package adapters_test

import (
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
