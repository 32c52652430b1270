//go:build unix && !linux

package sse

import "time"

// setUserTimeout is Linux-only; elsewhere TCP's own timeouts apply.
func setUserTimeout(int, time.Duration) {}
