package workspace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Plaintext formats (docs/report-format.md). They are written by an
// unknown party: parsing caps sizes and never trusts a field.

const (
	// MaxReportBytes caps the plaintext of a report that is parsed in memory.
	MaxReportBytes = 16 << 20
	// MaxHeaderBytes caps the JSON header line of an attachment.
	MaxHeaderBytes = 64 << 10
)

var errFormat = errors.New("not in the report format")

// Text is a JSON value shown as text: a string, or a list of strings
// (joined with ", "), or anything else re-encoded as JSON.
type Text string

func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Text(s)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*t = Text(strings.Join(list, ", "))
		return nil
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*t = ""
		return nil
	}
	*t = Text(b)
	return nil
}

// Report is the plaintext of a "message" item.
type Report struct {
	Version  int    `json:"version"`
	Category Text   `json:"category"`
	Officers Text   `json:"officers"`
	When     Text   `json:"when"`
	Where    Text   `json:"where"`
	Message  string `json:"message"`
}

// ParseReport parses a report. Unknown fields are ignored (a newer source
// interface may add some); the version must be 1.
func ParseReport(data []byte) (*Report, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", errFormat)
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", errFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", errFormat)
	}
	if r.Version != 1 {
		return nil, fmt.Errorf("%w: version %d", errFormat, r.Version)
	}
	return &r, nil
}

// AttachmentHeader is the first line of a "file" item's plaintext.
type AttachmentHeader struct {
	Version     int    `json:"version"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
}

// ReadAttachmentHeader reads the header line of an attachment and leaves r
// positioned at the first byte of the file. It returns the header and its
// length in bytes including the newline.
func ReadAttachmentHeader(r *bufio.Reader) (*AttachmentHeader, int64, error) {
	line, err := readLineLimit(r, MaxHeaderBytes)
	if err != nil {
		return nil, 0, err
	}
	var h AttachmentHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, 0, fmt.Errorf("%w: attachment header: %v", errFormat, err)
	}
	if h.Version != 1 {
		return nil, 0, fmt.Errorf("%w: attachment header version %d", errFormat, h.Version)
	}
	return &h, int64(len(line)) + 1, nil
}

func readLineLimit(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit+1 {
			return nil, fmt.Errorf("%w: header line longer than %d bytes", errFormat, limit)
		}
		if err == nil {
			return line[:len(line)-1], nil
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return nil, fmt.Errorf("%w: no header line", errFormat)
		}
		return nil, err
	}
}

// ParseReply parses the plaintext of a reply: UTF-8 text.
func ParseReply(data []byte) (string, error) {
	if !utf8.Valid(data) {
		return "", fmt.Errorf("%w: reply is not UTF-8", errFormat)
	}
	return string(data), nil
}
