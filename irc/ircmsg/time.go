package ircmsg

import "time"

// TimeTag is the key of the IRCv3 server-time tag.
const TimeTag = "time"

// timeLayout is the server-time format: UTC, millisecond precision.
const timeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime formats t for the server-time tag and for CHATHISTORY
// timestamps: "2026-11-21T19:20:54.123Z", in UTC, with the fraction
// truncated to milliseconds.
func FormatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// ParseTime parses a timestamp sent by a client, such as the
// "timestamp=" selector of CHATHISTORY. It accepts RFC 3339 with any
// fraction or none and any offset, and returns the time in UTC.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
