package term

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\nsecond line", "plain text\nsecond line"},
		{"\x1b[31mred\x1b[0m", "^[[31mred^[[0m"},
		{"title \x1b]0;pwned\x07 end", "title ^[]0;pwned^G end"},
		{"over\rwrite", "over\nwrite"},
		{"crlf\r\nline", "crlf\nline"},
		{"c1 \u009b31m", "c1 <U+009B>31m"},
		{"abc\u202etxt.exe", "abc<U+202E>txt.exe"},
		{"isolate\u2066x\u2069", "isolate<U+2066>x<U+2069>"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"del\x7f", "del^?"},
		{"tab\there", "tab    here"},
		{"nul\x00", "nul^@"},
		{"Zoë — ok", "Zoë — ok"},
	} {
		if got := Sanitize(tc.in); got != tc.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Line("a\nb\rc\td"); got != "a b c d" {
		t.Errorf("Line = %q", got)
	}
}

// FuzzSanitize: whatever the input, the output holds no byte a terminal
// interprets as a control, no bidi override, and is valid UTF-8.
func FuzzSanitize(f *testing.F) {
	f.Add("\x1b[2J\x1b[H\u202e\u009b\r")
	f.Add("normal text")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Sanitize(s), Line(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q", s)
			}
			for _, r := range out {
				if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
					t.Fatalf("control %U left in output of %q", r, s)
				}
			}
		}
		if strings.ContainsRune(Line(s), '\n') {
			t.Fatalf("Line kept a newline")
		}
	})
}
