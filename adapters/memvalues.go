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
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.cursors[name]
	return v, ok, nil
}

// SetCursor implements Values.
func (m *MemValues) SetCursor(_ context.Context, name string, value int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursors == nil {
		m.cursors = map[string]int64{}
	}
	m.cursors[name] = value
	return nil
}

// Text implements Values.
func (m *MemValues) Text(_ context.Context, name string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.texts[name]
	return v, ok, nil
}

// SetText implements Values.
func (m *MemValues) SetText(_ context.Context, name, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.texts == nil {
		m.texts = map[string]string{}
	}
	m.texts[name] = value
	return nil
}
