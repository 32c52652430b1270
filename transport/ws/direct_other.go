//go:build !unix

package ws

import "net"

// Direct writes are Unix-only; elsewhere the writer goroutine writes
// every frame.
func socketFD(net.Conn) int { return -1 }

func writeNow(int, []byte) (int, error) { return 0, nil }
