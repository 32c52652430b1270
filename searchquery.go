package parley

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search query limits.
const (
	MaxSearchQueryLen = 500 // bytes of query text
	MaxSearchWords    = 16  // words in a query, counting those in phrases
	MinPrefixLen      = 2   // characters before a '*' for a prefix search
)

// SearchTerm is one condition of a parsed query: a word, or several
// words that must appear next to each other in this order (a phrase).
// Every term of a query must match.
type SearchTerm struct {
	// Words hold only letters, digits and marks (Unicode L, N, M, Co), as
	// typed: the store's tokenizer folds case and diacritics.
	Words []string
	// Text is the term as typed, without quotes or a trailing '*', for
	// engines that split words their own way (PostgreSQL keeps "3.14" as
	// one word); it may hold punctuation, so it must only ever be passed to
	// a function that reads plain text, never query syntax.
	Text string
	// Prefix: the last word matches any word that starts with it.
	Prefix bool
}

// ParseSearch turns what a user typed into search terms. It never fails
// on syntax: anything it does not understand is a separator, so the
// result can be given to a full-text engine without the user's text ever
// being read as the engine's own syntax. The rules:
//
//   - Words are runs of letters, digits and marks; everything else
//     (spaces, punctuation, symbols, emoji) separates them. Words joined by
//     punctuation without spaces ("e-mail", "don't", "3.14") form a
//     phrase, as the index stores them next to each other.
//   - "quoted words" are a phrase. A quote without its closing partner
//     is ignored.
//   - word* (outside quotes) is a prefix, when the word has at least
//     MinPrefixLen characters; a shorter one is searched as a word.
//   - AND, OR, NOT, NEAR, '-', ':', '^', '+' and parentheses are plain
//     text: "AND" is the word "and", '-' and ':' separate words. Every
//     term must match; there is no OR or NOT.
//
// It fails with EInvalid when the query has no words, is longer than
// MaxSearchQueryLen bytes, holds more than MaxSearchWords words, or is not
// valid UTF-8.
func ParseSearch(q string) ([]SearchTerm, error) {
	if len(q) > MaxSearchQueryLen {
		return nil, Errorf(EInvalid, "search query is too long: at most %d bytes", MaxSearchQueryLen)
	}
	if !utf8.ValidString(q) {
		return nil, Errorf(EInvalid, "search query is not valid UTF-8")
	}
	// A quote opens a phrase only if a closing quote follows.
	lastQuote := -1
	if strings.Count(q, `"`)%2 == 1 {
		lastQuote = strings.LastIndexByte(q, '"')
	}
	var (
		terms  []SearchTerm
		cur    SearchTerm // the term being built
		start  = -1       // where cur's text starts in q
		end    int        // where it ends, after its last word
		quoted bool
		words  int
	)
	flush := func() {
		if len(cur.Words) > 0 {
			words += len(cur.Words)
			cur.Text = q[start:end]
			terms = append(terms, cur)
		}
		cur, start = SearchTerm{}, -1
	}
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		switch {
		case isWordRune(r):
			j := i + size
			for j < len(q) {
				r, n := utf8.DecodeRuneInString(q[j:])
				if !isWordRune(r) {
					break
				}
				j += n
			}
			cur.Words = append(cur.Words, q[i:j])
			if start < 0 {
				start = i
			}
			end = j
			i = j
			continue
		case r == '"' && i != lastQuote:
			flush()
			quoted = !quoted
		case r == '*' && !quoted && len(cur.Words) > 0 && i > 0 && isWordRune(lastRune(q[:i])):
			if utf8.RuneCountInString(cur.Words[len(cur.Words)-1]) >= MinPrefixLen {
				cur.Prefix = true
			}
			flush()
		case unicode.IsSpace(r) && !quoted:
			flush()
		}
		// Other punctuation inside a run of non-space characters (or
		// inside quotes) keeps the term going: its words form a phrase.
		i += size
	}
	flush()
	if words == 0 {
		return nil, Errorf(EInvalid, "search query has no words to search for: give at least one word of letters or digits")
	}
	if words > MaxSearchWords {
		return nil, Errorf(EInvalid, "search query has %d words: at most %d", words, MaxSearchWords)
	}
	return terms, nil
}

// isWordRune reports whether r is part of a word: a letter, digit, mark
// or private-use character, as SQLite's unicode61 tokenizer has it.
func isWordRune(r rune) bool {
	return unicode.In(r, unicode.Letter, unicode.Number, unicode.Mark, unicode.Co)
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}
