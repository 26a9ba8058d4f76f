package workspace

import (
	"fmt"
	"strings"

	"github.com/candor-drop/candor/cmd/candor-review/internal/term"
)

// Render formats an item for the terminal; every string that came from
// the bundle or the source goes through term.Line or term.Sanitize.
func (h *Home) Render(ix *Index, it *Item) (string, error) {
	var b strings.Builder
	des := ""
	if s, ok := ix.Sources[it.SourceID]; ok {
		des = s.Designation
	}
	switch it.Kind {
	case "message":
		r, err := h.ReadReport(it)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "Report %s from %s, received %s\n\n", it.ID, term.Line(des), term.Line(it.Day))
		fmt.Fprintf(&b, "Category:  %s\n", term.Line(CategoryLabel(string(r.Category))))
		fmt.Fprintf(&b, "Officers:  %s\n", term.Line(string(r.Officers)))
		fmt.Fprintf(&b, "When:      %s\n", term.Line(string(r.When)))
		fmt.Fprintf(&b, "Where:     %s\n\n", term.Line(string(r.Where)))
		b.WriteString(term.Sanitize(r.Message))
		b.WriteString("\n")
	case "reply":
		text, err := h.ReadReply(it)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "Reply %s to %s, sent %s\n\n", it.ID, term.Line(des), term.Line(it.Day))
		b.WriteString(term.Sanitize(text))
		b.WriteString("\n")
	case "file":
		rc, hdr, size, err := h.OpenAttachment(it)
		if err != nil {
			return "", err
		}
		rc.Close()
		fmt.Fprintf(&b, "Attachment %s from %s, received %s\n\n", it.ID, term.Line(des), term.Line(it.Day))
		fmt.Fprintf(&b, "File name:     %s\n", term.Line(hdr.Filename))
		fmt.Fprintf(&b, "Saved as:      %s\n", term.Line(SafeFileName(hdr.Filename, it.ID)))
		fmt.Fprintf(&b, "Declared type: %s (not trusted)\n", term.Line(hdr.ContentType))
		fmt.Fprintf(&b, "Size:          %s\n\n", term.HumanBytes(size))
		fmt.Fprintf(&b, "Write it out with: candor-review export %s --to DIR\n", it.ID)
	default:
		return "", fmt.Errorf("unknown kind of item %q", it.Kind)
	}
	return b.String(), nil
}

// categoryLabels are the labels the report form shows (docs/report-format.md).
var categoryLabels = map[string]string{
	"racism":         "Racism",
	"misogyny":       "Misogyny or sexual misconduct",
	"discrimination": "Homophobia or other discrimination",
	"corruption":     "Corruption or abuse of position",
	"violence":       "Violence",
	"other":          "Other",
	"":               "(none chosen)",
}

// CategoryLabel returns the label of a category value, or the value itself.
func CategoryLabel(v string) string {
	if l, ok := categoryLabels[v]; ok {
		return l
	}
	return v
}
