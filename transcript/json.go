package transcript

import (
	"bufio"
	"encoding/json"
)

// jsonEncoder writes a JSON array of messages (the API's Message
// objects, with edited, reply_to and reactions), one element a line,
// each written as soon as it is read.
type jsonEncoder struct{ n int }

func (e *jsonEncoder) header(w *bufio.Writer, _ header) error {
	_, err := w.WriteString("[")
	return err
}

func (e *jsonEncoder) entry(w *bufio.Writer, it item) error {
	b, err := json.Marshal(&it.Message)
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
