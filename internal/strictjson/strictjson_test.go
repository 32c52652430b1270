package strictjson

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley"
)

type post struct {
	Text  string   `json:"text"`
	Name  string   `json:"name"`
	Rooms []string `json:"rooms"`
}

func TestDecodeRefuses(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "  ", "empty"},
		{"duplicate key", `{"text":"a","text":"b"}`, `"text" twice`},
		{"differently cased key", `{"Text":"a"}`, `unknown field "Text"`},
		{"unknown key", `{"admin":true}`, `unknown field "admin"`},
		{"lone surrogate", `{"text":"a\ud800b"}`, "surrogate"},
		{"lone low surrogate", `{"text":"\udc00"}`, "surrogate"},
		{"invalid UTF-8", "{\"text\":\"a\xffb\"}", "UTF-8"},
		{"two objects", `{"text":"a"}{"text":"b"}`, "after the JSON object"},
		{"trailing garbage", `{"text":"a"} x`, "after the JSON object"},
		{"not an object", `["a"]`, "must be a JSON object"},
		{"wrong type", `{"text":5}`, `"text" must be a string`},
		{"truncated", `{"text":"a"`, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p post
			err := Decode([]byte(tc.in), &p, "request body")
			if parley.ErrorCode(err) != parley.EInvalid {
				t.Fatalf("Decode(%q) = %v, want an invalid error", tc.in, err)
			}
			if msg := parley.ErrorMessage(err); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not say %q", msg, tc.want)
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	var p post
	in := `{"text":"h\u00e9 \ud83d\udc4b","name":"ada","rooms":["a"]}`
	if err := Decode([]byte(in), &p, "request body"); err != nil {
		t.Fatal(err)
	}
	if p.Text != "hé 👋" || p.Name != "ada" || len(p.Rooms) != 1 {
		t.Errorf("decoded %+v", p)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"text":"a","name":"b"}`, `{"text":"a","text":"b"}`, `{"text":"\ud800"}`, `{}`, `[]`, `{"rooms":["x"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p post
		err := Decode(data, &p, "request body")
		if err != nil && (parley.ErrorCode(err) != parley.EInvalid || parley.ErrorMessage(err) == "") {
			t.Fatalf("error %v is not an invalid error with a message", err)
		}
	})
}
