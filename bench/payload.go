package bench

import (
	"bytes"
	"math"
	"strconv"
)

// A bench message's text is "bench <seq> <unix-nanos-at-send>": seq runs
// from 1 to -messages, and the send time lets every subscriber compute
// publish-to-delivery latency without any shared state. Posters and
// subscribers live in the same process, so they read the same clock.

const benchName = "bench"

// appendPostBody appends the JSON body of a post to b.
func appendPostBody(b []byte, seq, sentNanos int64) []byte {
	b = append(b, `{"text":"bench `...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, sentNanos, 10)
	b = append(b, `","name":"`+benchName+`"}`...)
	return b
}

var textKey = []byte(`"text":`)

// parseBenchText finds the text field of a message's JSON and, when it is
// a bench text, returns its sequence number and send time. It does not
// decode the JSON: a `"text":` key can only appear as a key, because a
// quote inside a JSON string is escaped.
func parseBenchText(data []byte) (seq, sentNanos int64, ok bool) {
	i := bytes.Index(data, textKey)
	if i < 0 {
		return 0, 0, false
	}
	p := data[i+len(textKey):]
	for len(p) > 0 && (p[0] == ' ' || p[0] == '\t') {
		p = p[1:]
	}
	const prefix = `"bench `
	if len(p) < len(prefix) || string(p[:len(prefix)]) != prefix {
		return 0, 0, false
	}
	p = p[len(prefix):]
	seq, p, ok = leadingInt(p)
	if !ok || len(p) == 0 || p[0] != ' ' {
		return 0, 0, false
	}
	sentNanos, p, ok = leadingInt(p[1:])
	if !ok || len(p) == 0 || p[0] != '"' {
		return 0, 0, false
	}
	return seq, sentNanos, true
}

// leadingInt parses the decimal digits at the start of b (at least one, at
// fitting an int64) and returns the rest.
func leadingInt(b []byte) (int64, []byte, bool) {
	var n int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		d := int64(b[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, b, false
		}
		n = n*10 + d
		i++
	}
	if i == 0 {
		return 0, b, false
	}
	return n, b[i:], true
}
