package slack

import "time"

// SetClock makes a date and expire its buttons by now instead of time.Now; call it before Run.
func SetClock(a *Adapter, now func() time.Time) { a.now = now }
