package transcript

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Light formatting: the same few marks people type in chat everywhere,
// read from a message's plain text. The Markdown and HTML transcripts
// render them; the text transcript, like IRC, shows the text as typed.
//
//	```a code block```   `code`   **bold**   _italic_
//	http://…  https://…  mailto:…   (links; no other scheme)
//
// Marks do not nest: code is literal, and bold and italic hold plain text
// with links. An opening mark with no closing one is plain text.

// spanKind is what a span of text is.
type spanKind int

const (
	spanText spanKind = iota
	spanCode
	spanCodeBlock
	spanBold
	spanItalic
	spanLink
)

// span is a run of text with one kind. Bold and italic spans hold their
// inner spans (text and links).
type span struct {
	kind  spanKind
	text  string
	inner []span
}

// parseFormatting splits text into spans.
func parseFormatting(text string) []span {
	var out []span
	for text != "" {
		open := strings.Index(text, "```")
		if open < 0 {
			break
		}
		closeAt := strings.Index(text[open+3:], "```")
		if closeAt < 0 {
			break
		}
		// The block is a line of its own: the line breaks around its
		// fences are its edges, not text.
		out = append(out, parseInline(strings.TrimSuffix(text[:open], "\n"))...)
		code := text[open+3 : open+3+closeAt]
		code = strings.TrimPrefix(code, "\n")
		code = strings.TrimSuffix(code, "\n")
		out = append(out, span{kind: spanCodeBlock, text: code})
		text = strings.TrimPrefix(text[open+3+closeAt+3:], "\n")
	}
	return append(out, parseInline(text)...)
}

// parseInline splits text holding no code block into code, bold, italic,
// links and text.
func parseInline(text string) []span {
	var out []span
	plain := 0 // start of the pending plain text
	flush := func(end int) {
		if end > plain {
			out = append(out, linkify(text[plain:end])...)
		}
	}
	for i := 0; i < len(text); {
		switch {
		case text[i] == '`':
			if j := strings.IndexByte(text[i+1:], '`'); j > 0 {
				flush(i)
				out = append(out, span{kind: spanCode, text: text[i+1 : i+1+j]})
				i += j + 2
				plain = i
				continue
			}
		case strings.HasPrefix(text[i:], "**"):
			if j := strings.Index(text[i+2:], "**"); j > 0 && !unicode.IsSpace(firstRune(text[i+2:])) && !unicode.IsSpace(lastRune(text[i+2:i+2+j])) {
				flush(i)
				out = append(out, span{kind: spanBold, inner: linkify(text[i+2 : i+2+j])})
				i += j + 4
				plain = i
				continue
			}
		case text[i] == '_' && !wordBefore(text[:i]):
			if j := closingUnderscore(text[i+1:]); j > 0 && !unicode.IsSpace(firstRune(text[i+1:])) {
				flush(i)
				out = append(out, span{kind: spanItalic, inner: linkify(text[i+1 : i+1+j])})
				i += j + 2
				plain = i
				continue
			}
		}
		i++
	}
	flush(len(text))
	return out
}

// closingUnderscore finds the '_' that closes italics in s: one not
// preceded by space and not followed by a letter or digit (so that
// snake_case_names stay as they are); -1 if none.
func closingUnderscore(s string) int {
	for j := 0; j < len(s); j++ {
		if s[j] != '_' || j == 0 {
			continue
		}
		if unicode.IsSpace(lastRune(s[:j])) || wordAt(s[j+1:]) {
			continue
		}
		return j
	}
	return -1
}

func wordBefore(s string) bool {
	r := lastRune(s)
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func wordAt(s string) bool {
	r := firstRune(s)
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// linkSchemes are the schemes that become links. Anything else (javascript:,
// data:, file:) stays text.
var linkSchemes = []string{"https://", "http://", "mailto:"}

// linkify splits plain text into text and links.
func linkify(text string) []span {
	var out []span
	for text != "" {
		at, scheme := -1, ""
		for _, s := range linkSchemes {
			if i := indexFold(text, s); i >= 0 && (at < 0 || i < at) {
				at, scheme = i, s
			}
		}
		if at < 0 {
			break
		}
		if wordBefore(text[:at]) {
			// "xhttp://" is not a link; look after the scheme.
			out = append(out, span{kind: spanText, text: text[:at+len(scheme)]})
			text = text[at+len(scheme):]
			continue
		}
		end := at + linkLen(text[at:])
		if end-at <= len(scheme) {
			out = append(out, span{kind: spanText, text: text[:end]})
			text = text[end:]
			continue
		}
		if at > 0 {
			out = append(out, span{kind: spanText, text: text[:at]})
		}
		out = append(out, span{kind: spanLink, text: text[at:end]})
		text = text[end:]
	}
	if text != "" {
		out = append(out, span{kind: spanText, text: text})
	}
	return mergeText(out)
}

// linkLen is the length of the URL at the start of s: up to white space,
// a quote or angle bracket, without trailing punctuation or an unmatched
// closing parenthesis.
func linkLen(s string) int {
	end := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' || r == '"' || r == '`' ||
			r == '\u200B' || r == '\u200E' || r == '\u200F' || r == '\u061C'
	})
	if end < 0 {
		end = len(s)
	}
	for end > 0 {
		c := s[end-1]
		if strings.IndexByte(".,:;!?'*_", c) >= 0 {
			end--
			continue
		}
		if c == ')' && strings.Count(s[:end], "(") < strings.Count(s[:end], ")") {
			end--
			continue
		}
		break
	}
	return end
}

// indexFold is strings.Index ignoring ASCII case (sep is lower case).
func indexFold(s, sep string) int {
	for i := 0; i+len(sep) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sep)], sep) {
			return i
		}
	}
	return -1
}

func mergeText(spans []span) []span {
	out := spans[:0]
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.kind == spanText && out[n-1].kind == spanText {
			out[n-1].text += sp.text
			continue
		}
		out = append(out, sp)
	}
	return out
}

// htmlFormat renders text's formatting as HTML. Every piece of the text
// is escaped; the only markup is this function's own, and the only links
// are the schemes of linkSchemes.
func htmlFormat(text string) string {
	var b strings.Builder
	htmlSpans(&b, parseFormatting(text))
	return b.String()
}

func htmlSpans(b *strings.Builder, spans []span) {
	for _, sp := range spans {
		switch sp.kind {
		case spanText:
			b.WriteString(html.EscapeString(sp.text))
		case spanCode:
			b.WriteString("<code>" + html.EscapeString(sp.text) + "</code>")
		case spanCodeBlock:
			b.WriteString("<pre><code>" + html.EscapeString(sp.text) + "</code></pre>")
		case spanBold:
			b.WriteString("<strong>")
			htmlSpans(b, sp.inner)
			b.WriteString("</strong>")
		case spanItalic:
			b.WriteString("<em>")
			htmlSpans(b, sp.inner)
			b.WriteString("</em>")
		case spanLink:
			u := html.EscapeString(sp.text)
			b.WriteString(`<a href="` + u + `" rel="noopener noreferrer nofollow">` + u + "</a>")
		}
	}
}

// mdFormat renders text's formatting as Markdown inside a list item:
// text escaped, marks written as CommonMark writes them, links as
// autolinks, code blocks fenced and indented into the item.
func mdFormat(text string) string {
	var b strings.Builder
	mdSpans(&b, parseFormatting(text))
	return b.String()
}

func mdSpans(b *strings.Builder, spans []span) {
	for _, sp := range spans {
		switch sp.kind {
		case spanText:
			b.WriteString(mdText(sp.text))
		case spanCode:
			fence := mdFence(sp.text, 1)
			b.WriteString(fence + " " + clean(strings.ReplaceAll(sp.text, "\n", " ")) + " " + fence)
		case spanCodeBlock:
			fence := mdFence(sp.text, 3)
			b.WriteString("\n  " + fence + "\n")
			for _, line := range strings.Split(clean(sp.text), "\n") {
				b.WriteString("  " + line + "\n")
			}
			b.WriteString("  " + fence + "\n  ")
		case spanBold:
			b.WriteString("**")
			mdSpans(b, sp.inner)
			b.WriteString("**")
		case spanItalic:
			b.WriteString("_")
			mdSpans(b, sp.inner)
			b.WriteString("_")
		case spanLink:
			b.WriteString("<" + sp.text + ">")
		}
	}
}

// mdFence returns a run of backticks longer than any in s, at least min.
func mdFence(s string, least int) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(least, longest+1))
}
