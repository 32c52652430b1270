//go:build race

package transfer

// The race detector slows the pure-Go SQLite driver tenfold: under it the
// move is checked on fewer messages, and .ci/run runs the 100,000-message
// test once more without it.
const raceEnabled = true
