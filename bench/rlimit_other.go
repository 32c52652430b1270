//go:build !linux

package bench

import "errors"

// raiseNoFile is only implemented on Linux, the server's platform.
func raiseNoFile() (uint64, error) {
	return 0, errors.New("RLIMIT_NOFILE: not supported on this platform")
}
