package scrub

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// A minimal PDF lexer and parser: enough to find the document information
// dictionaries and the XMP metadata streams and overwrite them without
// moving a byte, so the cross-reference tables stay valid.

type tokKind int

const (
	tokOther tokKind = iota // number, keyword, boolean, null
	tokName
	tokString // Start/End bound the content between the delimiters
	tokDictOpen
	tokDictClose
	tokArrayOpen
	tokArrayClose
	tokStreamData // Start/End bound the stream's data
)

type token struct {
	kind       tokKind
	start, end int // for strings and stream data: the content only
	text       string
}

const maxPDFTokens = 50_000_000

func isPDFSpace(c byte) bool {
	return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32
}

func isPDFDelim(c byte) bool {
	return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

func lexPDF(data []byte) ([]token, error) {
	var toks []token
	i := 0
	for i < len(data) {
		if len(toks) > maxPDFTokens {
			return nil, fmt.Errorf("%w: PDF: too many tokens", ErrTooLarge)
		}
		c := data[i]
		switch {
		case isPDFSpace(c):
			i++
		case c == '%':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
		case c == '(':
			depth, j := 1, i+1
			for j < len(data) && depth > 0 {
				switch data[j] {
				case '\\':
					j++
				case '(':
					depth++
				case ')':
					depth--
				}
				j++
			}
			if depth > 0 || j > len(data) {
				return nil, fmt.Errorf("%w: PDF: unterminated string", ErrMalformed)
			}
			toks = append(toks, token{kind: tokString, start: i + 1, end: j - 1})
			i = j
		case c == '<' && i+1 < len(data) && data[i+1] == '<':
			toks = append(toks, token{kind: tokDictOpen, start: i, end: i + 2})
			i += 2
		case c == '>' && i+1 < len(data) && data[i+1] == '>':
			toks = append(toks, token{kind: tokDictClose, start: i, end: i + 2})
			i += 2
		case c == '<':
			j := bytes.IndexByte(data[i:], '>')
			if j < 0 {
				return nil, fmt.Errorf("%w: PDF: unterminated hex string", ErrMalformed)
			}
			toks = append(toks, token{kind: tokString, start: i + 1, end: i + j})
			i += j + 1
		case c == '[':
			toks = append(toks, token{kind: tokArrayOpen, start: i, end: i + 1})
			i++
		case c == ']':
			toks = append(toks, token{kind: tokArrayClose, start: i, end: i + 1})
			i++
		case c == '/':
			j := i + 1
			for j < len(data) && !isPDFSpace(data[j]) && !isPDFDelim(data[j]) {
				j++
			}
			toks = append(toks, token{kind: tokName, start: i, end: j, text: string(data[i:j])})
			i = j
		case c == ')' || c == '>' || c == '{' || c == '}':
			i++ // stray delimiter: ignore
		default:
			j := i
			for j < len(data) && !isPDFSpace(data[j]) && !isPDFDelim(data[j]) {
				j++
			}
			word := string(data[i:j])
			toks = append(toks, token{kind: tokOther, start: i, end: j, text: word})
			i = j
			if word == "stream" {
				s, e, next, err := streamBounds(data, i, toks)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{kind: tokStreamData, start: s, end: e})
				i = next
			}
		}
	}
	return toks, nil
}

// streamBounds finds the data of a stream whose keyword ends at i. It uses
// a direct /Length of the stream dictionary when it is consistent, and
// otherwise searches for "endstream".
func streamBounds(data []byte, i int, toks []token) (start, end, next int, err error) {
	if i < len(data) && data[i] == '\r' {
		i++
	}
	if i < len(data) && data[i] == '\n' {
		i++
	}
	start = i
	// Look back for "/Length N" not followed by "G R".
	for k := len(toks) - 2; k >= 0 && k >= len(toks)-512; k-- {
		t := toks[k]
		if t.kind == tokOther && t.text == "obj" {
			break
		}
		if t.kind == tokName && t.text == "/Length" && k+1 < len(toks) {
			isRef := k+3 < len(toks) && toks[k+3].text == "R"
			if n, err := strconv.Atoi(toks[k+1].text); err == nil && !isRef && n >= 0 && n <= len(data)-start {
				j := start + n
				for j < len(data) && isPDFSpace(data[j]) {
					j++
				}
				if bytes.HasPrefix(data[j:], []byte("endstream")) {
					return start, start + n, j, nil
				}
			}
			break
		}
	}
	k := bytes.Index(data[start:], []byte("endstream"))
	if k < 0 {
		return 0, 0, 0, fmt.Errorf("%w: PDF: stream without endstream", ErrMalformed)
	}
	return start, start + k, start + k, nil
}

// pdfValue is a parsed object: a dictionary keeps its entries with the
// token range of each value.
type pdfValue struct {
	kind    tokKind // tokDictOpen for a dictionary, tokArrayOpen for an array
	first   int     // first token index
	last    int     // last token index (inclusive)
	entries map[string]pdfEntry
	ref     [2]int // for a reference "N G R": N and G
	isRef   bool
}

type pdfEntry struct {
	keyTok int
	val    pdfValue
}

type pdfParser struct {
	toks []token
}

const maxPDFDepth = 64

// parse parses one object starting at token i and returns it and the index
// after it.
func (p *pdfParser) parse(i, depth int) (pdfValue, int, error) {
	if depth > maxPDFDepth {
		return pdfValue{}, 0, fmt.Errorf("%w: PDF: nested too deeply", ErrMalformed)
	}
	if i >= len(p.toks) {
		return pdfValue{}, 0, fmt.Errorf("%w: PDF: truncated object", ErrMalformed)
	}
	t := p.toks[i]
	switch t.kind {
	case tokDictOpen:
		v := pdfValue{kind: tokDictOpen, first: i, entries: map[string]pdfEntry{}}
		j := i + 1
		for {
			if j >= len(p.toks) {
				return pdfValue{}, 0, fmt.Errorf("%w: PDF: unterminated dictionary", ErrMalformed)
			}
			if p.toks[j].kind == tokDictClose {
				v.last = j
				return v, j + 1, nil
			}
			if p.toks[j].kind != tokName {
				return pdfValue{}, 0, fmt.Errorf("%w: PDF: dictionary key is not a name", ErrMalformed)
			}
			key := p.toks[j].text
			val, next, err := p.parse(j+1, depth+1)
			if err != nil {
				return pdfValue{}, 0, err
			}
			v.entries[key] = pdfEntry{keyTok: j, val: val}
			j = next
		}
	case tokArrayOpen:
		v := pdfValue{kind: tokArrayOpen, first: i}
		j := i + 1
		for {
			if j >= len(p.toks) {
				return pdfValue{}, 0, fmt.Errorf("%w: PDF: unterminated array", ErrMalformed)
			}
			if p.toks[j].kind == tokArrayClose {
				v.last = j
				return v, j + 1, nil
			}
			_, next, err := p.parse(j, depth+1)
			if err != nil {
				return pdfValue{}, 0, err
			}
			j = next
		}
	case tokOther:
		// A reference "N G R"?
		if i+2 < len(p.toks) && p.toks[i+2].kind == tokOther && p.toks[i+2].text == "R" {
			n, err1 := strconv.Atoi(t.text)
			g, err2 := strconv.Atoi(p.toks[i+1].text)
			if err1 == nil && err2 == nil {
				return pdfValue{kind: tokOther, first: i, last: i + 2, ref: [2]int{n, g}, isRef: true}, i + 3, nil
			}
		}
		return pdfValue{kind: tokOther, first: i, last: i}, i + 1, nil
	case tokDictClose, tokArrayClose, tokStreamData:
		return pdfValue{}, 0, fmt.Errorf("%w: PDF: unexpected token", ErrMalformed)
	}
	return pdfValue{kind: t.kind, first: i, last: i}, i + 1, nil
}

func (p *pdfParser) nameIs(v pdfValue, name string) bool {
	return v.kind == tokName && p.toks[v.first].text == name
}

type pdfObject struct {
	num    int
	value  pdfValue
	stream *token
}

func cleanPDF(data []byte) ([]byte, *Result, error) {
	toks, err := lexPDF(data)
	if err != nil {
		return nil, nil, err
	}
	p := &pdfParser{toks: toks}
	var (
		objects   []pdfObject
		infoRefs  = map[int]bool{}
		infoDicts []pdfValue // direct /Info dictionaries in trailers
	)
	collectInfo := func(d pdfValue) {
		if e, ok := d.entries["/Info"]; ok {
			if e.val.isRef {
				infoRefs[e.val.ref[0]] = true
			} else if e.val.kind == tokDictOpen {
				infoDicts = append(infoDicts, e.val)
			}
		}
	}
	for i := 0; i < len(toks); {
		t := toks[i]
		if t.kind == tokOther && t.text == "trailer" && i+1 < len(toks) && toks[i+1].kind == tokDictOpen {
			v, next, err := p.parse(i+1, 0)
			if err != nil {
				return nil, nil, err
			}
			collectInfo(v)
			i = next
			continue
		}
		if t.kind == tokOther && i+2 < len(toks) && toks[i+2].kind == tokOther && toks[i+2].text == "obj" {
			n, err1 := strconv.Atoi(t.text)
			_, err2 := strconv.Atoi(toks[i+1].text)
			if err1 == nil && err2 == nil && i+3 < len(toks) {
				v, next, err := p.parse(i+3, 0)
				if err != nil {
					return nil, nil, err
				}
				obj := pdfObject{num: n, value: v}
				if next+1 < len(toks) && toks[next].text == "stream" && toks[next+1].kind == tokStreamData {
					obj.stream = &toks[next+1]
					next += 2
				}
				objects = append(objects, obj)
				if v.kind == tokDictOpen {
					if e, ok := v.entries["/Type"]; ok && p.nameIs(e.val, "/XRef") {
						collectInfo(v)
					}
				}
				i = next
				continue
			}
		}
		i++
	}

	out := append([]byte(nil), data...)
	blank := func(start, end int) {
		for k := start; k < end; k++ {
			out[k] = ' '
		}
	}
	byNum := map[int][]pdfObject{}
	for _, o := range objects {
		byNum[o.num] = append(byNum[o.num], o)
	}
	// blankRange blanks the strings of tokens first..last and, following
	// references ("8 0 R"), of the objects they name, in every revision.
	// It returns how many strings it blanked, and false if a referenced
	// object is not at top level (in a compressed object stream).
	visited := map[int]bool{}
	var blankRange func(first, last int) (int, bool)
	blankRange = func(first, last int) (int, bool) {
		n, ok := 0, true
		for ti := first; ti <= last; ti++ {
			if toks[ti].kind == tokString && toks[ti].end > toks[ti].start {
				blank(toks[ti].start, toks[ti].end)
				n++
			}
			if toks[ti].kind == tokOther && toks[ti].text == "R" && ti-2 >= first {
				num, err1 := strconv.Atoi(toks[ti-2].text)
				_, err2 := strconv.Atoi(toks[ti-1].text)
				if err1 != nil || err2 != nil || visited[num] {
					continue
				}
				visited[num] = true
				if len(byNum[num]) == 0 {
					ok = false
				}
				for _, o := range byNum[num] {
					m, okRef := blankRange(o.value.first, o.value.last)
					n += m
					ok = ok && okRef
				}
			}
		}
		return n, ok
	}
	unreachable := false
	var blankedKeys []string
	blankStrings := func(d pdfValue) {
		keys := make([]string, 0, len(d.entries))
		for k, e := range d.entries {
			n, ok := blankRange(e.val.first, e.val.last)
			unreachable = unreachable || !ok
			if n > 0 {
				keys = append(keys, k[1:])
			}
		}
		blankedKeys = append(blankedKeys, keys...)
	}
	res := &Result{Format: "PDF"}
	found := map[int]bool{}
	xmp := 0
	for _, o := range objects {
		if infoRefs[o.num] && o.value.kind == tokDictOpen {
			found[o.num] = true
			blankStrings(o.value)
		}
		if o.stream != nil && o.value.kind == tokDictOpen {
			if e, ok := o.value.entries["/Type"]; ok && p.nameIs(e.val, "/Metadata") {
				blank(o.stream.start, o.stream.end)
				for _, k := range []string{"/Filter", "/DecodeParms"} {
					if f, ok := o.value.entries[k]; ok {
						blank(toks[f.keyTok].start, toks[f.val.last].end)
					}
				}
				xmp++
				res.Removed = append(res.Removed, fmt.Sprintf("XMP metadata stream, %d bytes", o.stream.end-o.stream.start))
			}
		}
	}
	for _, d := range infoDicts {
		blankStrings(d)
	}
	// An incremental update may have moved the information dictionary, or
	// one of its values, into a compressed object stream, where it cannot
	// be blanked: refuse when any object read above is also defined there.
	inStreams, unknown := objectStreamMembers(data, p, objects)
	for n := range infoRefs {
		visited[n] = true
	}
	for n := range visited {
		if inStreams[n] || unknown {
			unreachable = true
		}
	}
	if unreachable {
		return nil, nil, fmt.Errorf("%w: a value of the PDF's document information is inside a compressed object stream", ErrCannotClean)
	}
	for n := range infoRefs {
		if !found[n] {
			return nil, nil, fmt.Errorf("%w: the PDF's document information is inside a compressed object stream", ErrCannotClean)
		}
	}
	if len(blankedKeys) > 0 {
		sort.Strings(blankedKeys)
		uniq := blankedKeys[:0]
		for i, k := range blankedKeys {
			if i == 0 || k != blankedKeys[i-1] {
				uniq = append(uniq, k)
			}
		}
		res.Removed = append([]string{fmt.Sprintf("document information: %s", joinShort(uniq))}, res.Removed...)
	}
	return out, res, nil
}

func joinShort(keys []string) string {
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 12 {
			fmt.Fprintf(&b, "and %d more", len(keys)-i)
			break
		}
		// Names come from the file: keep them printable.
		for _, c := range []byte(k) {
			if c >= 0x21 && c < 0x7f {
				b.WriteByte(c)
			} else {
				b.WriteByte('?')
			}
		}
	}
	return b.String()
}

// maxObjStmHeader caps the decoded header of an object stream that
// objectStreamMembers reads.
const maxObjStmHeader = 16 << 20

// objectStreamMembers returns the numbers of the objects stored in the
// file's object streams (/Type /ObjStm), read from each stream's header.
// unknown is true when an object stream cannot be decoded here (a filter
// other than FlateDecode, or a damaged stream).
func objectStreamMembers(data []byte, p *pdfParser, objects []pdfObject) (members map[int]bool, unknown bool) {
	members = map[int]bool{}
	direct := func(d pdfValue, key string) (int, bool) {
		e, ok := d.entries[key]
		if !ok || e.val.kind != tokOther || e.val.isRef {
			return 0, false
		}
		n, err := strconv.Atoi(p.toks[e.val.first].text)
		return n, err == nil && n >= 0
	}
	for _, o := range objects {
		if o.stream == nil || o.value.kind != tokDictOpen {
			continue
		}
		if e, ok := o.value.entries["/Type"]; !ok || !p.nameIs(e.val, "/ObjStm") {
			continue
		}
		n, okN := direct(o.value, "/N")
		first, okF := direct(o.value, "/First")
		f, hasFilter := o.value.entries["/Filter"]
		_, hasParms := o.value.entries["/DecodeParms"]
		if !okN || !okF || hasParms || first > maxObjStmHeader || (hasFilter && !p.nameIs(f.val, "/FlateDecode")) {
			unknown = true
			continue
		}
		var r io.Reader = bytes.NewReader(data[o.stream.start:o.stream.end])
		if hasFilter {
			zr, err := zlib.NewReader(r)
			if err != nil {
				unknown = true
				continue
			}
			r = zr
		}
		header, err := io.ReadAll(io.LimitReader(r, int64(first)))
		if err != nil && len(header) < first {
			unknown = true
			continue
		}
		fields := bytes.Fields(header)
		for i := 0; i < n; i++ {
			if 2*i >= len(fields) {
				unknown = true
				break
			}
			num, err := strconv.Atoi(string(fields[2*i]))
			if err != nil {
				unknown = true
				break
			}
			members[num] = true
		}
	}
	return members, unknown
}
