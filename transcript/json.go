package transcript

import (
	"bufio"
	"encoding/json"

	"github.com/parley-chat/parley"
)

// jsonEncoder writes a JSON array of messages (the API's Message
// objects), one element a line, each written as soon as it is read.
type jsonEncoder struct{ n int }

func (e *jsonEncoder) header(w *bufio.Writer, _ header) error {
	_, err := w.WriteString("[")
	return err
}

func (e *jsonEncoder) entry(w *bufio.Writer, m parley.Message) error {
	b, err := json.Marshal(&m)
	if err != nil {
		return err
	}
	if e.n > 0 {
		w.WriteByte(',')
	}
	e.n++
	w.WriteByte('\n')
	_, err = w.Write(b)
	return err
}

func (e *jsonEncoder) footer(w *bufio.Writer, _ int) error {
	_, err := w.WriteString("\n]\n")
	return err
}
