package ircmsg

import "strings"

// ValidTagKey reports whether key follows the IRCv3 grammar:
//
//	['+'] [vendor '/'] name
//
// where vendor is a host name (ASCII letters, digits, '-' and '.') and
// name is ASCII letters, digits and '-'; neither may be empty.
func ValidTagKey(key string) bool {
	key = strings.TrimPrefix(key, "+")
	if vendor, name, ok := strings.Cut(key, "/"); ok {
		if vendor == "" {
			return false
		}
		for i := 0; i < len(vendor); i++ {
			if c := vendor[i]; !isAlnum(c) && c != '-' && c != '.' {
				return false
			}
		}
		key = name
	}
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// parseTags parses tag data (the tag section without '@' and the space).
// Items with an invalid key, and empty items, are dropped; for a key seen
// twice the last value wins at the first position.
func parseTags(data string) []Tag {
	if data == "" {
		return nil
	}
	tags := make([]Tag, 0, min(strings.Count(data, ";")+1, 16))
	var index map[string]int // key -> position in tags, once tags is long
	for data != "" {
		var item string
		item, data, _ = strings.Cut(data, ";")
		key, value, _ := strings.Cut(item, "=")
		if !ValidTagKey(key) {
			continue
		}
		value = unescapeTagValue(value)
		// Look duplicates up linearly while there are few tags and by map
		// beyond that, so that 8 KB of distinct keys costs linear time.
		if index == nil && len(tags) >= 8 {
			index = make(map[string]int, 2*len(tags))
			for i, t := range tags {
				index[t.Key] = i
			}
		}
		dup := -1
		if index != nil {
			if i, ok := index[key]; ok {
				dup = i
			}
		} else {
			for i := range tags {
				if tags[i].Key == key {
					dup = i
					break
				}
			}
		}
		if dup >= 0 {
			tags[dup].Value = value
			continue
		}
		if index != nil {
			index[key] = len(tags)
		}
		tags = append(tags, Tag{Key: key, Value: value})
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// unescapeTagValue decodes an escaped tag value. It returns a substring of
// v, without allocating, when v has no backslash.
func unescapeTagValue(v string) string {
	i := strings.IndexByte(v, '\\')
	if i < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	b.WriteString(v[:i])
	for ; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(v) {
			break // a lone trailing backslash stands for nothing
		}
		switch c = v[i]; c {
		case ':':
			b.WriteByte(';')
		case 's':
			b.WriteByte(' ')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default: // '\\' and every unknown escape: the character itself
			b.WriteByte(c)
		}
	}
	return b.String()
}

// appendTagValue appends v escaped. NUL, which has no escape, is written
// as a space: Validate rejects it, and Append must never emit it.
func appendTagValue(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ';':
			dst = append(dst, '\\', ':')
		case ' ', 0:
			dst = append(dst, '\\', 's')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\n':
			dst = append(dst, '\\', 'n')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// escapedLen returns len(appendTagValue(nil, v)).
func escapedLen(v string) int {
	n := len(v)
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ';', ' ', 0, '\\', '\r', '\n':
			n++
		}
	}
	return n
}
