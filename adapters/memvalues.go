package adapters

import (
	"context"
	"sync"
)

// MemValues is Values kept in memory, for an adapter given no store (a demo), and for tests
// whose adapters restart over the same values. The zero value is ready; it is safe for
// concurrent use.
type MemValues struct {
	mu      sync.Mutex
	cursors map[string]int64
	texts   map[string]string
}

var _ Values = (*MemValues)(nil)

// Cursor implements Values.
func (m *MemValues) Cursor(_ context.Context, name string) (int64, bool, error) {
	return memGet(&m.mu, &m.cursors, name)
}

// SetCursor implements Values.
func (m *MemValues) SetCursor(_ context.Context, name string, value int64) error {
	return memSet(&m.mu, &m.cursors, name, value)
}

// Text implements Values.
func (m *MemValues) Text(_ context.Context, name string) (string, bool, error) {
	return memGet(&m.mu, &m.texts, name)
}

// SetText implements Values.
func (m *MemValues) SetText(_ context.Context, name, value string) error {
	return memSet(&m.mu, &m.texts, name, value)
}

// memGet reads name from *values under mu (the map is read under the lock too: memSet may be
// making it).
func memGet[V any](mu *sync.Mutex, values *map[string]V, name string) (V, bool, error) {
	mu.Lock()
	defer mu.Unlock()
	v, ok := (*values)[name]
	return v, ok, nil
}

// memSet stores value as name in *values under mu, making the map on first use (the zero
// MemValues is ready).
func memSet[V any](mu *sync.Mutex, values *map[string]V, name string, value V) error {
	mu.Lock()
	defer mu.Unlock()
	if *values == nil {
		*values = map[string]V{}
	}
	(*values)[name] = value
	return nil
}
