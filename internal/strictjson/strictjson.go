// Package strictjson decodes a client's JSON object strictly: exactly one
// object, no unknown, duplicate or differently-cased member names, valid
// UTF-8 with no escaped lone surrogate. Lenient decoding lets two parties
// read one body two ways (a proxy takes the first "name", Parley the
// last) and stores text the client never sent (U+FFFD for a bad escape).
// Errors are parley errors with code EInvalid and say what to fix.
package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parley-chat/parley"
)

// Decode reads data, which must hold exactly one JSON object, into v.
// what names the input in errors ("request body", "message").
func Decode(data []byte, v any, what string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return parley.Errorf(parley.EInvalid, "%s is empty: send a JSON object", what)
	}
	err := json.Unmarshal(data, v,
		json.RejectUnknownMembers(true),
		json.MatchCaseInsensitiveNames(false),
		jsontext.AllowDuplicateNames(false),
		jsontext.AllowInvalidUTF8(false),
	)
	if err == nil {
		return nil
	}
	return describe(err, what)
}

func describe(err error, what string) error {
	var syntax *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case errors.Is(err, jsontext.ErrDuplicateName):
		name := ""
		if errors.As(err, &syntax) {
			name = memberName(string(syntax.JSONPointer))
		}
		return parley.Errorf(parley.EInvalid, "%s names the field %q twice: send each field once", what, name)
	case errors.As(err, &syntax) && strings.Contains(syntax.Err.Error(), "invalid UTF-8"):
		// The library reports a bad byte and an escaped lone surrogate
		// alike (its error value is not exported).
		return parley.Errorf(parley.EInvalid, "%s holds invalid UTF-8 or an escaped lone surrogate (such as \\ud800): send valid Unicode text", what)
	case errors.As(err, &syntax):
		if strings.Contains(syntax.Err.Error(), "surrogate") {
			return parley.Errorf(parley.EInvalid, "%s holds an escaped lone surrogate (such as \\ud800): send valid Unicode text", what)
		}
		if strings.Contains(err.Error(), "after top-level value") {
			return parley.Errorf(parley.EInvalid, "%s has data after the JSON object: send one object", what)
		}
		return parley.Errorf(parley.EInvalid, "%s is not valid JSON (at byte %d)", what, syntax.ByteOffset)
	case errors.Is(err, json.ErrUnknownName):
		name := ""
		if errors.As(err, &semantic) {
			name = memberName(string(semantic.JSONPointer))
		}
		return parley.Errorf(parley.EInvalid, "%s has an unknown field %q (field names are case-sensitive)", what, name)
	case errors.As(err, &semantic):
		field := memberName(string(semantic.JSONPointer))
		if field == "" {
			return parley.Errorf(parley.EInvalid, "%s must be a JSON object, not %s", what, kindName(semantic.JSONKind))
		}
		return parley.Errorf(parley.EInvalid, "field %q must be %s", field, goTypeName(semantic.GoType))
	}
	return parley.Errorf(parley.EInvalid, "%s is not valid JSON: %v", what, err)
}

// memberName is the last name of a JSON pointer ("/a/b" -> "b").
func memberName(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		ptr = ptr[i+1:]
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(ptr)
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '[':
		return "a list"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "that"
}

func goTypeName(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return fmt.Sprintf("a %s", t.Kind())
}
