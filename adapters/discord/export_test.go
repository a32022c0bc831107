package discord

import "time"

// SetButtonClock replaces the clock that dates a's button tokens, so that tests can let them expire.
func SetButtonClock(a *Adapter, now func() time.Time) {
	a.buttons.mu.Lock()
	defer a.buttons.mu.Unlock()
	a.buttons.now = now
}
