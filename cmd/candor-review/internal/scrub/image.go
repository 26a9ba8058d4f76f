package scrub

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// JPEG: keep SOI, APP0 "JFIF\0" (without its thumbnail semantics checked),
// DQT, DHT, DAC, DRI, SOFn, SOS with its entropy-coded data, RSTn inside
// it, DNL, EOI. Drop APP1–APP15 (EXIF, XMP, ICC, Photoshop/IPTC, Adobe…),
// COM, any other marker, and anything after EOI.

func jpegKeep(m byte) bool {
	switch {
	case m == 0xdb, m == 0xc4, m == 0xcc, m == 0xdd, m == 0xdc: // DQT DHT DAC DRI DNL
		return true
	case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc: // SOFn
		return true
	}
	return false
}

func jpegName(m byte) string {
	switch {
	case m == 0xe1:
		return "APP1 (EXIF/XMP: camera, time, GPS position)"
	case m == 0xe2:
		return "APP2 (ICC profile/FlashPix)"
	case m == 0xed:
		return "APP13 (Photoshop/IPTC: author, caption)"
	case m == 0xee:
		return "APP14 (Adobe)"
	case m >= 0xe0 && m <= 0xef:
		return fmt.Sprintf("APP%d", m-0xe0)
	case m == 0xfe:
		return "COM (comment)"
	}
	return fmt.Sprintf("marker 0x%02X", m)
}

func cleanJPEG(data []byte) ([]byte, *Result, error) {
	res := &Result{Format: "JPEG"}
	out := make([]byte, 0, len(data))
	out = append(out, 0xff, 0xd8)
	i := 2
	for {
		// Skip fill bytes before a marker.
		if i >= len(data) || data[i] != 0xff {
			return nil, nil, fmt.Errorf("%w: JPEG: expected a marker at offset %d", ErrMalformed, i)
		}
		for i < len(data) && data[i] == 0xff {
			i++
		}
		if i >= len(data) {
			return nil, nil, fmt.Errorf("%w: JPEG: truncated", ErrMalformed)
		}
		m := data[i]
		i++
		switch {
		case m == 0xd9: // EOI
			out = append(out, 0xff, 0xd9)
			if rest := len(data) - i; rest > 0 {
				res.Removed = append(res.Removed, fmt.Sprintf("%d bytes after the end of the image", rest))
			}
			return out, res, nil
		case m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7):
			return nil, nil, fmt.Errorf("%w: JPEG: unexpected marker 0x%02X", ErrMalformed, m)
		}
		if i+2 > len(data) {
			return nil, nil, fmt.Errorf("%w: JPEG: truncated segment", ErrMalformed)
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return nil, nil, fmt.Errorf("%w: JPEG: bad segment length", ErrMalformed)
		}
		seg := data[i : i+n]
		i += n
		switch {
		case m == 0xe0 && bytes.HasPrefix(seg[2:], []byte("JFIF\x00")) && len(seg) >= 16:
			// Keep JFIF but drop its embedded thumbnail, if any.
			jfif := append([]byte(nil), seg[:16]...)
			jfif[14], jfif[15] = 0, 0 // thumbnail width, height
			binary.BigEndian.PutUint16(jfif, 16)
			if len(seg) > 16 {
				res.Removed = append(res.Removed, "JFIF thumbnail")
			}
			out = append(out, 0xff, m)
			out = append(out, jfif...)
		case m == 0xda: // SOS: copy the header, then the entropy-coded data
			out = append(out, 0xff, m)
			out = append(out, seg...)
			j := i
			for j < len(data) {
				if data[j] == 0xff && j+1 < len(data) {
					nx := data[j+1]
					if nx == 0x00 || (nx >= 0xd0 && nx <= 0xd7) {
						j += 2
						continue
					}
					if nx == 0xff { // fill byte
						j++
						continue
					}
					break
				}
				j++
			}
			if j >= len(data) {
				return nil, nil, fmt.Errorf("%w: JPEG: no end of image", ErrMalformed)
			}
			out = append(out, data[i:j]...)
			i = j
		case jpegKeep(m):
			out = append(out, 0xff, m)
			out = append(out, seg...)
		default:
			res.Removed = append(res.Removed, fmt.Sprintf("%s, %d bytes", jpegName(m), n))
		}
	}
}

var pngSig = []byte("\x89PNG\r\n\x1a\n")

// pngKeep lists the chunks needed to display a PNG (or APNG) correctly.
// Everything else — tEXt, zTXt, iTXt, eXIf, tIME and any unknown or private
// chunk — is dropped.
var pngKeep = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "iCCP": true,
	"sBIT": true, "bKGD": true, "pHYs": true, "hIST": true, "sPLT": true,
	"acTL": true, "fcTL": true, "fdAT": true,
}

func cleanPNG(data []byte) ([]byte, *Result, error) {
	res := &Result{Format: "PNG"}
	out := make([]byte, 0, len(data))
	out = append(out, pngSig...)
	i := len(pngSig)
	for {
		if i+12 > len(data) {
			return nil, nil, fmt.Errorf("%w: PNG: truncated chunk", ErrMalformed)
		}
		n := binary.BigEndian.Uint32(data[i:])
		if n > 1<<31-1 || uint64(i)+12+uint64(n) > uint64(len(data)) {
			return nil, nil, fmt.Errorf("%w: PNG: bad chunk length", ErrMalformed)
		}
		typ := string(data[i+4 : i+8])
		end := i + 12 + int(n)
		for _, c := range []byte(typ) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return nil, nil, fmt.Errorf("%w: PNG: bad chunk type", ErrMalformed)
			}
		}
		if pngKeep[typ] {
			out = append(out, data[i:end]...)
		} else {
			res.Removed = append(res.Removed, fmt.Sprintf("%s chunk, %d bytes%s", typ, n, pngWhat(typ)))
		}
		i = end
		if typ == "IEND" {
			if rest := len(data) - i; rest > 0 {
				res.Removed = append(res.Removed, fmt.Sprintf("%d bytes after the end of the image", rest))
			}
			return out, res, nil
		}
	}
}

func pngWhat(typ string) string {
	switch typ {
	case "tEXt", "zTXt", "iTXt":
		return " (text: author, software, comments)"
	case "eXIf":
		return " (EXIF: camera, time, GPS position)"
	case "tIME":
		return " (last modification time)"
	}
	return ""
}
