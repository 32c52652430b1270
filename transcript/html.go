package transcript

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"strings"

	"github.com/parley-chat/parley"
)

// stylesheet is the whole styling of an HTML transcript. It sits in the
// page's one <style> element, allowed by its hash in the page's own
// Content-Security-Policy; there are no style attributes and no scripts.
const stylesheet = `
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; background: #fff; }
h1 { font-size: 1.4em; }
.period, .end { color: #666; }
ol { list-style: none; padding: 0; }
li { margin: .2em 0; white-space: pre-wrap; overflow-wrap: anywhere; }
time { color: #888; font: .85em ui-monospace, monospace; margin-right: .5em; }
.join, .leave, .notice { color: #666; font-style: italic; }
.reply, .edited, .reactions { color: #666; font-size: .9em; }
.reactions { display: block; margin-left: 1em; }
code, pre { font: .9em ui-monospace, monospace; background: rgba(127,127,127,.15); }
pre { margin: .2em 0; padding: .3em .5em; white-space: pre-wrap; }
@media (prefers-color-scheme: dark) { body { color: #ddd; background: #111; } }
`

// CSP is the Content-Security-Policy of an HTML transcript: nothing but
// its own stylesheet. The page carries it in a <meta> element, so it
// holds when the file is opened from disk; the API sends it as a header
// too.
var CSP = "default-src 'none'; style-src 'sha256-" + hashCSS(stylesheet) + "'; base-uri 'none'; form-action 'none'"

func hashCSS(css string) string {
	sum := sha256.Sum256([]byte(css))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// htmlTemplates escape every value from the log (html/template). The
// stylesheet and the policy are constants of this package, placed into
// the template text before parsing.
var htmlTemplates = template.Must(template.New("transcript").Parse(strings.NewReplacer(
	"STYLESHEET", stylesheet, "POLICY", CSP,
).Replace(`{{define "header"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="POLICY">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Transcript of {{.Room}}</title>
<style>STYLESHEET</style>
</head>
<body>
<h1>Transcript of {{.Room}}</h1>
<p class="period">Period: {{.Period}}{{if .Generated}}<br>Exported: {{.Generated}}{{end}}</p>
<ol class="log">
{{end}}{{define "entry"}}<li class="{{.Kind}}"><time datetime="{{.Time}}">{{.Time}}</time> {{if .From}}<b>{{.From}}</b> {{if .Guest}}<small class="guest">(guest)</small> {{end}}{{end}}{{with .Reply}}<span class="reply">↪ #{{.ID}} {{if .From}}<b>{{.From}}</b>: {{.Excerpt}}{{else}}(deleted){{end}}</span> {{end}}<span>{{.Text}}</span>{{if .Edited}} <small class="edited">(edited)</small>{{end}}{{if .Reactions}}<span class="reactions">{{.Reactions}}</span>{{end}}</li>
{{end}}{{define "footer"}}</ol>
<p class="end">End of transcript: {{.}}.</p>
</body>
</html>
{{end}}`)))

// htmlEncoder writes a standalone HTML page.
type htmlEncoder struct{}

func (htmlEncoder) header(w *bufio.Writer, h header) error {
	gen := ""
	if !h.Generated.IsZero() {
		gen = stamp(h.Generated)
	}
	return htmlTemplates.ExecuteTemplate(w, "header", struct{ Room, Period, Generated string }{clean(h.Room), h.period(), gen})
}

func (htmlEncoder) entry(w *bufio.Writer, it item) error {
	m := it.Message
	kind, from := m.Kind, clean(m.From)
	// The text of lines and notices is formatted by htmlFormat, which
	// escapes every piece of it; joins and leaves are escaped by the
	// template.
	var text any = clean(m.Text)
	switch kind {
	case parley.KindMessage, parley.KindNotice:
		text = template.HTML(htmlFormat(clean(m.Text)))
	case parley.KindJoin, parley.KindLeave:
		from = "" // the text names them
	default:
		kind = parley.KindNotice
	}
	var reply *replyRef
	if it.reply != nil {
		reply = &replyRef{ID: it.reply.ID, From: clean(it.reply.From), Excerpt: clean(it.reply.Excerpt)}
	}
	return htmlTemplates.ExecuteTemplate(w, "entry", struct {
		Kind, Time, From string
		Text             any
		Guest, Edited    bool
		Reply            *replyRef
		Reactions        string
	}{kind, stamp(m.Time), from, text, m.Guest && kind == parley.KindMessage, !m.Edited.IsZero(), reply, reactionList(m.Reactions)})
}

func (htmlEncoder) footer(w *bufio.Writer, n int) error {
	return htmlTemplates.ExecuteTemplate(w, "footer", entries(n))
}
