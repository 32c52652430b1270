//go:build race

package transcript_test

// raceEnabled: the race detector slows encoding about tenfold, so the
// memory test exports fewer entries.
const raceEnabled = true
