package chat

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley"
)

// Reaction limits: one emoji, as a sequence of code points (a flag, a
// keycap, a person with a skin tone joined to an object, a family).
const (
	MaxEmojiRunes = 8
	MaxEmojiBytes = 32
)

// ValidateEmoji checks a reaction: one emoji, more or less. It must hold
// a symbol (such as 👍, ❤, 🇫🇷), at most MaxEmojiRunes code points in at
// most MaxEmojiBytes bytes, and nothing that is not part of an emoji:
// no letters, spaces, control or bidirectional formatting characters.
// Joiners (U+200D), variation selectors, skin tone modifiers, combining
// marks (the keycap) and tag characters (subdivision flags) may follow.
// Telling every valid emoji sequence from an invalid one would need the
// Unicode emoji tables; this check keeps out text, not odd symbols.
func ValidateEmoji(e string) error {
	bad := func(why string) error {
		return parley.Errorf(parley.EInvalid, "reaction %.40q is not one emoji: %s", e, why)
	}
	switch {
	case e == "":
		return parley.Errorf(parley.EInvalid, "reaction is empty: name one emoji, such as 👍")
	case !utf8.ValidString(e):
		return parley.Errorf(parley.EInvalid, "reaction is not valid UTF-8")
	case len(e) > MaxEmojiBytes || utf8.RuneCountInString(e) > MaxEmojiRunes:
		return bad(fmt.Sprintf("a reaction is at most %d code points (%d bytes)", MaxEmojiRunes, MaxEmojiBytes))
	}
	symbol := false
	for _, r := range e {
		switch {
		case isBidiControl(r):
			return bad("it holds a bidirectional formatting character")
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return bad("it holds a space or control character")
		case unicode.IsLetter(r):
			return bad("it holds letters: react with a symbol such as 👍, and write words as a message")
		case r == '\u200D', unicode.Is(unicode.Variation_Selector, r), r >= 0xE0020 && r <= 0xE007F:
			// joiner, variation selector, tag: part of a sequence
		case unicode.Is(unicode.Cf, r):
			return bad("it holds an invisible formatting character")
		case unicode.In(r, unicode.So, unicode.Sk) && r > 0x7F:
			symbol = true
		case unicode.Is(unicode.Me, r):
			symbol = true // the keycap U+20E3 encloses a digit, # or *
		case unicode.Is(unicode.Mn, r), r >= '0' && r <= '9', r == '#', r == '*':
		default:
			return bad("it holds " + quoteRune(r) + ", which is not part of an emoji")
		}
	}
	if !symbol {
		return bad("it holds no emoji symbol")
	}
	return nil
}

func quoteRune(r rune) string {
	if r < 0x80 {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("%U", r)
}
