package transcript

import (
	"strings"
	"testing"
)

func TestHTMLFormat(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain & <b>", "plain &amp; &lt;b&gt;"},
		{"**bold** and _it_", "<strong>bold</strong> and <em>it</em>"},
		{"`<code>` **", "<code>&lt;code&gt;</code> **"},
		{"snake_case_name and 2_000_000", "snake_case_name and 2_000_000"},
		{"** not bold**", "** not bold**"},
		{"```\n<x>\n```", "<pre><code>&lt;x&gt;</code></pre>"},
		{"```unclosed", "```unclosed"},
		{"see https://a.example/x_(y). ok", `see <a href="https://a.example/x_(y)" rel="noopener noreferrer nofollow">https://a.example/x_(y)</a>. ok`},
		{"(https://a.example/p)", `(<a href="https://a.example/p" rel="noopener noreferrer nofollow">https://a.example/p</a>)`},
		{`https://a.example/"onmouseover=alert(1)`, `<a href="https://a.example/" rel="noopener noreferrer nofollow">https://a.example/</a>&#34;onmouseover=alert(1)`},
		{"javascript:alert(1) JavaScript:x data:text/html,<b>", "javascript:alert(1) JavaScript:x data:text/html,&lt;b&gt;"},
		{"xhttps://a.example", "xhttps://a.example"},
		{"https://", "https://"},
		{"**https://a.example**", `<strong><a href="https://a.example" rel="noopener noreferrer nofollow">https://a.example</a></strong>`},
		{"`https://a.example`", "<code>https://a.example</code>"},
		{"mailto:ada@example.com", `<a href="mailto:ada@example.com" rel="noopener noreferrer nofollow">mailto:ada@example.com</a>`},
		{"https://a.example/<script>", `<a href="https://a.example/" rel="noopener noreferrer nofollow">https://a.example/</a>&lt;script&gt;`},
	}
	for _, c := range cases {
		if got := htmlFormat(c.in); got != c.want {
			t.Errorf("htmlFormat(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestMarkdownFormat(t *testing.T) {
	cases := []struct{ in, want string }{
		{"**bold** [x](javascript:y)", `**bold** \[x\]\(javascript:y\)`},
		{"a `b`` c` d", "a ` b ``  c ` d"},
		{"``` a `` b ```!", "\n  ```\n   a `` b \n  ```\n  \\!"},
		{"_it_ <https://a.example>", `_it_ \<<https://a.example>\>`},
		{"x\n```\n`\n```", "x\n  ```\n  `\n  ```\n  "},
	}
	for _, c := range cases {
		if got := mdFormat(c.in); got != c.want {
			t.Errorf("mdFormat(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// Whatever the text, the HTML holds no tag but the formatter's own and no
// link but http, https and mailto.
func FuzzHTMLFormat(f *testing.F) {
	for _, s := range []string{"**a**", "_b_ https://c.example", "```<i>```", `"><img src=x onerror=alert(1)>`} {
		f.Add(s)
	}
	allowed := []string{"<strong>", "</strong>", "<em>", "</em>", "<code>", "</code>", "<pre>", "</pre>", `<a href="`, "</a>"}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlFormat(s)
		rest := out
		for _, tag := range allowed {
			rest = strings.ReplaceAll(rest, tag, "")
		}
		rest = strings.ReplaceAll(rest, `" rel="noopener noreferrer nofollow">`, "")
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("htmlFormat(%q) = %q holds markup of its own", s, out)
		}
		for _, part := range strings.Split(out, `<a href="`)[1:] {
			if !strings.HasPrefix(part, "https://") && !strings.HasPrefix(part, "http://") && !strings.HasPrefix(part, "mailto:") &&
				!strings.HasPrefix(strings.ToLower(part), "https://") && !strings.HasPrefix(strings.ToLower(part), "http://") && !strings.HasPrefix(strings.ToLower(part), "mailto:") {
				t.Fatalf("htmlFormat(%q) links %q", s, part)
			}
		}
	})
}
