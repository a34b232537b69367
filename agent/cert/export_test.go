package cert

import "time"

// RotationDelay exposes the rotation schedule to the external tests.
func (m *Manager) RotationDelay(b *Bundle) time.Duration { return m.rotationDelay(b) }
