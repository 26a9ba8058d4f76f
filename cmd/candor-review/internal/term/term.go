// Package term makes text written by an unknown party safe to print on a
// terminal, and reads passphrases without echo.
//
// Security properties:
//
//   - Sanitize and Line never return a C0 or C1 control character other than
//     newline (Sanitize only), an ESC, a DEL, a Unicode bidirectional
//     override or isolate, or invalid UTF-8: a hostile report cannot move
//     the cursor, recolour or retitle the terminal, rewrite what was already
//     printed, or reorder text it shows (Trojan Source). What was removed is
//     shown in a visible form (^[, <U+202E>, \ufffd) so the reader can see
//     that something was there.
package term

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize returns s safe for a terminal, keeping line breaks. Carriage
// returns become line breaks, tabs become four spaces.
func Sanitize(s string) string { return clean(s, true) }

// Line returns s safe for a terminal on a single line: line breaks and tabs
// become spaces too.
func Line(s string) string { return clean(s, false) }

func clean(s string, multiline bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('\ufffd')
		case r == '\n':
			if multiline {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // CRLF: the LF that follows is kept
			}
			if multiline {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\t':
			if multiline {
				b.WriteString("    ")
			} else {
				b.WriteByte(' ')
			}
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@') // ESC shows as ^[
		case r == 0x7f:
			b.WriteString("^?")
		case r >= 0x80 && r < 0xa0, isBidiControl(r), r == 0xfeff:
			fmt.Fprintf(&b, "<U+%04X>", r)
		case !unicode.IsPrint(r) && !unicode.IsSpace(r) && unicode.Is(unicode.Cc, r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isBidiControl reports the Unicode characters that change the display
// order of the text around them.
func isBidiControl(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// JSON returns JSON text (as encoding/json writes it, which escapes the C0
// controls but not DEL, the C1 controls, bidirectional controls or the
// byte order mark) with those characters escaped as \uXXXX too, so JSON
// output holding hostile strings is safe on a terminal and still decodes
// to the same values.
func JSON(data []byte) []byte {
	var b strings.Builder
	b.Grow(len(data))
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == 0x7f, r >= 0x80 && r < 0xa0, isBidiControl(r), r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.Write(data[i : i+size])
		}
		i += size
	}
	return []byte(b.String())
}
