package chat

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley"
)

// FilterMode says what a WordFilter does with a listed word.
type FilterMode string

const (
	FilterOff    FilterMode = "off"    // let everything through
	FilterMask   FilterMode = "mask"   // replace each listed word with '*'
	FilterReject FilterMode = "reject" // refuse the whole message
)

// ParseFilterMode parses "off", "mask" or "reject".
func ParseFilterMode(s string) (FilterMode, error) {
	switch m := FilterMode(s); m {
	case FilterOff, FilterMask, FilterReject:
		return m, nil
	}
	return "", fmt.Errorf("word filter mode %q is unknown: use off, mask or reject", s)
}

// DefaultWords is the small list the filter ships with. Operators replace
// it with --word-list.
var DefaultWords = []string{"fuck", "fucking", "shit", "cunt", "asshole", "bastard", "bitch", "motherfucker"}

// WordFilter matches whole words, case-insensitively. A word is a maximal
// run of letters and digits, so "Shit!" matches "shit" but "shitake" does
// not. It is safe for concurrent use once built.
type WordFilter struct {
	mode  FilterMode
	words map[string]struct{}
}

// NewWordFilter returns a filter over words (case-insensitive).
func NewWordFilter(mode FilterMode, words []string) *WordFilter {
	f := &WordFilter{mode: mode, words: make(map[string]struct{}, len(words))}
	for _, w := range words {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			f.words[w] = struct{}{}
		}
	}
	return f
}

// LoadWordList reads one word per line; blank lines and lines starting with
// '#' are skipped.
func LoadWordList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("word list: %w", err)
	}
	defer f.Close()
	return readWordList(f)
}

func readWordList(r io.Reader) ([]string, error) {
	var words []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words = append(words, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("word list: %w", err)
	}
	return words, nil
}

// Apply returns text with listed words masked, or an EInvalid error in
// reject mode.
func (f *WordFilter) Apply(text string) (string, error) {
	if f == nil || f.mode == FilterOff || len(f.words) == 0 {
		return text, nil
	}
	var b strings.Builder // used only once a listed word is found
	prev := 0             // end of the text already copied into b
	for start, end := nextWord(text, 0); start < len(text); start, end = nextWord(text, end) {
		w := text[start:end]
		if !f.listed(w) {
			continue
		}
		if f.mode == FilterReject {
			return "", parley.Errorf(parley.EInvalid, "text contains a word that is not allowed here: %q", w)
		}
		b.WriteString(text[prev:start])
		b.WriteString(strings.Repeat("*", utf8.RuneCountInString(w)))
		prev = end
	}
	if prev == 0 {
		return text, nil
	}
	b.WriteString(text[prev:])
	return b.String(), nil
}

// nextWord returns the byte span of the first word at or after from, or
// (len(text), len(text)) when there is none. A word is a maximal run of
// letters and digits.
func nextWord(text string, from int) (start, end int) {
	start = len(text)
	for i, r := range text[from:] {
		isWord := unicode.IsLetter(r) || unicode.IsDigit(r)
		if isWord && start == len(text) {
			start = from + i
		} else if !isWord && start < len(text) {
			return start, from + i
		}
	}
	return start, len(text)
}

func (f *WordFilter) listed(w string) bool {
	_, ok := f.words[strings.ToLower(w)]
	return ok
}
