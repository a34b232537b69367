package grpcapp

import "sync"

// DefaultCallMemory is how many call ids a FailFirstAttempt backend remembers.
const DefaultCallMemory = 100000

// CallMemory is a bounded set of call ids used to fail only the first attempt
// of each call. Share one between backends when a retry may land on another
// backend and should still succeed.
type CallMemory struct {
	mu    sync.Mutex
	seen  map[string]struct{}
	order []string // ring buffer of ids in insertion order, for eviction
	next  int
}

// NewCallMemory returns a CallMemory holding at most capacity ids (oldest evicted).
func NewCallMemory(capacity int) *CallMemory {
	if capacity <= 0 {
		capacity = DefaultCallMemory
	}
	return &CallMemory{seen: make(map[string]struct{}, capacity), order: make([]string, capacity)}
}

// FirstSeen records id and reports whether it was not already remembered.
func (m *CallMemory) FirstSeen(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.seen[id]; ok {
		return false
	}
	if old := m.order[m.next]; old != "" {
		delete(m.seen, old)
	}
	m.order[m.next] = id
	m.next = (m.next + 1) % len(m.order)
	m.seen[id] = struct{}{}
	return true
}

// Len returns how many ids are remembered.
func (m *CallMemory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}
