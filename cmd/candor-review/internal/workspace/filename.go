package workspace

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFileNameBytes caps a sanitised file name (most file systems allow 255).
const MaxFileNameBytes = 120

// SafeFileName reduces a file name chosen by an unknown party to a safe base
// name: no directory part (neither / nor \), no control, format or
// bidirectional characters, no characters Windows or shells treat
// specially, no leading dot or dash (hidden files, options), no trailing
// dot or space, not a reserved device name, at most MaxFileNameBytes bytes,
// valid UTF-8. If nothing usable is left it returns "attachment-" plus the
// first 8 characters of id. The result is never empty, ".", ".." nor
// contains a path separator.
func SafeFileName(name, id string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError:
			b.WriteRune('_')
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteRune(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// control characters are dropped
		case isBidiOrFormat(r):
			// invisible reordering/format characters are dropped
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	s = strings.TrimLeft(s, ".- ")
	s = truncateUTF8(s, MaxFileNameBytes)
	s = strings.TrimRight(s, ". ")
	if s == "" {
		short := id
		if len(short) > 8 {
			short = short[:8]
		}
		return "attachment-" + SafeFileName(short, "")
	}
	if isReservedWindowsName(s) {
		s = "_" + s
	}
	return s
}

// truncateUTF8 cuts s to at most n bytes, keeping the extension if it is
// short, and never splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	ext := ""
	if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i <= 10 {
		ext = s[i:]
		s = s[:i]
	}
	limit := n - len(ext)
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit] + ext
}

func isBidiOrFormat(r rune) bool {
	return unicode.Is(unicode.Cf, r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func isReservedWindowsName(s string) bool {
	base := strings.ToUpper(s)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '0' && base[3] <= '9' {
		return true
	}
	return false
}
