package poll

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"

	"github.com/parley-chat/parley"
)

// JSONP: callback=name wraps the poll answer as
//
//	/**/name({"events":[...],"cursor":42,"session":"..."});
//
// served as application/javascript with nosniff. The callback must be a
// JavaScript identifier or a dotted path of them (jQuery.cb_1), at most
// MaxCallbackLen bytes, none of them a reserved word; anything else is
// refused with a plain JSON 400, never echoed into a script. The leading
// comment keeps the body from starting with attacker-chosen bytes (the
// Rosetta Flash attack), and encoding/json already escapes <, >, &, U+2028
// and U+2029, so the payload cannot close a script tag or break the line.
//
// A script tag cannot see an HTTP status, so once the callback is valid,
// errors are answered 200 with the error object passed to the callback,
// carrying the status it would have had:
//
//	/**/name({"status":404,"error":{"code":"not_found","message":"..."}});

// MaxCallbackLen bounds a JSONP callback name.
const MaxCallbackLen = 64

// parseCallback returns the JSONP callback of q, "" when there is none.
func parseCallback(q url.Values) (string, error) {
	if !q.Has("callback") {
		return "", nil
	}
	cb := q.Get("callback")
	if err := checkCallback(cb); err != nil {
		return "", err
	}
	return cb, nil
}

// checkCallback accepts [A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*
// of at most MaxCallbackLen bytes with no reserved word as a part.
func checkCallback(cb string) error {
	bad := func(why string) error {
		return parley.Errorf(parley.EInvalid, "callback=%.70q is not allowed: %s; use a JavaScript function name such as handlePoll or app.onPoll", cb, why)
	}
	switch {
	case cb == "":
		return bad("it is empty")
	case len(cb) > MaxCallbackLen:
		return bad("it is longer than " + strconv.Itoa(MaxCallbackLen) + " characters")
	}
	start := 0
	for i := 0; i <= len(cb); i++ {
		if i < len(cb) && cb[i] != '.' {
			c := cb[i]
			first := i == start
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '$' || !first && c >= '0' && c <= '9') {
				return bad("only letters, digits, '_', '$' and '.' between names are allowed, and a name cannot start with a digit")
			}
			continue
		}
		part := cb[start:i]
		if part == "" {
			return bad("it has an empty name between dots")
		}
		if reserved[part] {
			return bad(strconv.Quote(part) + " is a reserved name")
		}
		start = i + 1
	}
	return nil
}

// reserved holds JavaScript's reserved words (any edition, strict mode
// included) and a few globals that must not be called with data.
var reserved = map[string]bool{
	"break": true, "case": true, "catch": true, "class": true, "const": true,
	"continue": true, "debugger": true, "default": true, "delete": true,
	"do": true, "else": true, "enum": true, "export": true, "extends": true,
	"false": true, "finally": true, "for": true, "function": true, "if": true,
	"import": true, "in": true, "instanceof": true, "new": true, "null": true,
	"return": true, "super": true, "switch": true, "this": true, "throw": true,
	"true": true, "try": true, "typeof": true, "var": true, "void": true,
	"while": true, "with": true, "yield": true, "let": true, "static": true,
	"implements": true, "interface": true, "package": true, "private": true,
	"protected": true, "public": true, "await": true, "async": true,
	"abstract": true, "boolean": true, "byte": true, "char": true,
	"double": true, "final": true, "float": true, "goto": true, "int": true,
	"long": true, "native": true, "short": true, "synchronized": true,
	"throws": true, "transient": true, "volatile": true,
	"arguments": true, "eval": true, "undefined": true, "NaN": true,
	"Infinity": true,
}

// appendJSONP wraps body (a JSON value) in a call of callback.
func appendJSONP(dst []byte, callback string, body []byte) []byte {
	dst = append(dst, "/**/"...)
	dst = append(dst, callback...)
	dst = append(dst, '(')
	dst = append(dst, body...)
	return append(dst, ");\n"...)
}

// writeJSONPError answers err as a JSONP call with status 200: the error
// body is whatever writeErr produces (so the format stays in one place),
// with the HTTP status it chose added as "status".
func writeJSONPError(w http.ResponseWriter, r *http.Request, callback string, writeErr ErrorWriter, err error) {
	var c capture
	writeErr(&c, r, err)
	body := bytes.TrimSpace(c.body.Bytes())
	var obj []byte
	if len(body) > 1 && body[0] == '{' {
		obj = append(obj, `{"status":`...)
		obj = strconv.AppendInt(obj, int64(c.status), 10)
		if body[1] != '}' {
			obj = append(obj, ',')
		}
		obj = append(obj, body[1:]...)
	} else {
		obj = []byte(`{"status":500,"error":{"code":"internal","message":"internal error"}}`)
	}
	if ra := c.Header().Get("Retry-After"); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	_ = writeBody(w, callback, appendJSONP(nil, callback, obj), 0)
}

// capture is a ResponseWriter that keeps what is written, to rewrap it.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header {
	if c.header == nil {
		c.header = http.Header{}
	}
	return c.header
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}
