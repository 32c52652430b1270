package chat

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mtibben/confusables"
	"github.com/parley-chat/parley"
)

// MaxRoomName and MaxName bound room names and display names, in characters.
const (
	MaxRoomName = 32
	MaxName     = 32
)

// ValidateRoomName checks a room name: 1–32 characters, lowercase ASCII
// letters, digits, '-' and '_', starting with a letter or digit.
func ValidateRoomName(name string) error {
	if name == "" {
		return parley.Errorf(parley.EInvalid, "room name is empty")
	}
	if len(name) > MaxRoomName {
		return parley.Errorf(parley.EInvalid, "room name %.40q is too long: at most %d characters", name, MaxRoomName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))
		if !ok {
			return parley.Errorf(parley.EInvalid,
				"room name %q is not allowed: use lowercase letters, digits, '-' and '_', starting with a letter or digit", name)
		}
	}
	return nil
}

// ValidateName checks a display name: 1–32 characters, letters, digits,
// '-', '_' and '.', so that the name also works as an IRC nick.
func ValidateName(name string) error {
	if name == "" {
		return parley.Errorf(parley.EInvalid, "name is empty: choose a display name")
	}
	if !utf8.ValidString(name) {
		return parley.Errorf(parley.EInvalid, "name is not valid UTF-8")
	}
	if utf8.RuneCountInString(name) > MaxName {
		return parley.Errorf(parley.EInvalid, "name is too long: at most %d characters", MaxName)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return parley.Errorf(parley.EInvalid, "name %q is not allowed: use letters, digits, '-', '_' and '.'", name)
		}
		if !isVisible(r) {
			return parley.Errorf(parley.EInvalid, "name contains the invisible character %U: remove it", r)
		}
	}
	if !norm.NFKC.IsNormalString(name) {
		return parley.Errorf(parley.EInvalid,
			"name %q uses compatibility forms (such as fullwidth letters) that look like other letters: type it as %q", name, norm.NFKC.String(name))
	}
	if a, b, mixed := mixedScripts(name); mixed {
		return parley.Errorf(parley.EInvalid,
			"name %q mixes %s and %s letters, which lets it pass for someone else's: use letters of one script", name, a, b)
	}
	return nil
}

// nameScripts are the scripts a name's letters are told apart by. A name
// takes its letters from one of them; Han may go with the Japanese kana
// or with Hangul, as those languages write it.
var nameScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian}, {"Georgian", unicode.Georgian}, {"Cherokee", unicode.Cherokee},
	{"Arabic", unicode.Arabic}, {"Hebrew", unicode.Hebrew}, {"Devanagari", unicode.Devanagari},
	{"Bengali", unicode.Bengali}, {"Thai", unicode.Thai}, {"Han", unicode.Han},
	{"Hiragana", unicode.Hiragana}, {"Katakana", unicode.Katakana}, {"Hangul", unicode.Hangul},
	{"Bopomofo", unicode.Bopomofo},
}

// scriptsMix lists the pairs of scripts one language writes together.
var scriptsMix = map[[2]string]bool{
	{"Han", "Hiragana"}: true, {"Han", "Katakana"}: true, {"Hiragana", "Katakana"}: true,
	{"Han", "Hangul"}: true, {"Han", "Bopomofo"}: true,
}

// mixedScripts reports two scripts that name's letters come from which no
// language writes together (Latin with Cyrillic, say: "аlice" with a
// Cyrillic "а"). Digits and punctuation belong to no script here. Letters
// of a script not listed count as that script of their own.
func mixedScripts(name string) (string, string, bool) {
	var seen []string
	for _, r := range name {
		if !unicode.IsLetter(r) {
			continue
		}
		script := "other"
		for _, s := range nameScripts {
			if unicode.Is(s.table, r) {
				script = s.name
				break
			}
		}
		if script == "other" {
			for n, t := range unicode.Scripts {
				if unicode.Is(t, r) {
					script = n
					break
				}
			}
		}
		for _, prev := range seen {
			if prev != script && !scriptsMix[[2]string{prev, script}] && !scriptsMix[[2]string{script, prev}] {
				return prev, script, true
			}
		}
		if !slices.Contains(seen, script) {
			seen = append(seen, script)
		}
	}
	return "", "", false
}

// validateText checks a chat line against the limits and returns it with
// CRLF line ends normalised to LF.
func validateText(text string, maxLen int) (string, error) {
	if !utf8.ValidString(text) {
		return "", parley.Errorf(parley.EInvalid, "text is not valid UTF-8")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	n := 0
	visible := false
	for _, r := range text {
		n++
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') {
			return "", parley.Errorf(parley.EInvalid, "text contains the control character %U: remove it", r)
		}
		if isBidiControl(r) {
			return "", parley.Errorf(parley.EInvalid,
				"text contains the bidirectional formatting character %U, which can make a line look like something else: remove it", r)
		}
		if !visible && isVisible(r) {
			visible = true
		}
	}
	if !visible {
		return "", parley.Errorf(parley.EInvalid, "text is empty: send at least one visible character")
	}
	if n > maxLen {
		return "", parley.Errorf(parley.ETooLarge, "text is %d characters long: the limit is %d", n, maxLen)
	}
	return text, nil
}

// isBidiControl reports the explicit bidirectional embeddings, overrides
// and isolates (U+202A–U+202E, U+2066–U+2069). Text with them can reorder
// what follows it on screen, so that a line or a link disguises itself;
// they are refused rather than stripped, so that what is stored is what
// the sender sent. The implicit marks (U+200E, U+200F, U+061C) stay:
// right-to-left writers need them and they reorder nothing around them.
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// isVisible reports whether r draws something: not white space, not a
// format character (zero-width space and joiners, BOM), not a default
// ignorable code point (Hangul fillers, variation selectors), and not the
// blank Braille pattern.
func isVisible(r rune) bool {
	switch {
	case unicode.IsSpace(r), unicode.IsControl(r),
		unicode.Is(unicode.Cf, r),
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r),
		unicode.Is(unicode.Variation_Selector, r),
		r == '\u2800', r == '\u200B':
		return false
	}
	return true
}

// NameSkeleton folds a name to its Unicode TR39 skeleton, case-insensitively:
// two names with the same skeleton look alike ("alice" and "aIice" with a
// capital I, say), though each is valid on its own.
func NameSkeleton(name string) string {
	return strings.ToLower(confusables.Skeleton(strings.ToLower(name)))
}
