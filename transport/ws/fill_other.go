//go:build !unix

package ws

// fill is used only with the readPoller, which is Linux only.
func (in *inbound) fill() error { return errWouldBlock }
