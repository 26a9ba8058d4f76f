// Package scrubtest makes test fixtures that carry metadata: a JPEG with an
// EXIF GPS position, a PNG with text chunks, a PDF with an author and XMP.
package scrubtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// Canaries are strings every fixture carries in its metadata only.
var Canaries = []string{"Exif\x00\x00", "CANARY-GPS", "CANARY-AUTHOR", "CANARY-XMP", "CANARY-TEXT"}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 128, 255})
		}
	}
	return img
}

// JPEGWithGPS returns a decodable JPEG with an APP1 Exif segment holding a
// GPS IFD (latitude 51°30'N, longitude 0°7'W) and the ImageDescription
// "CANARY-GPS", plus a COM segment.
func JPEGWithGPS() []byte {
	var img bytes.Buffer
	if err := jpeg.Encode(&img, testImage(), nil); err != nil {
		panic(err)
	}
	// TIFF, little endian.
	var t bytes.Buffer
	le := binary.LittleEndian
	w16 := func(v uint16) { binary.Write(&t, le, v) }
	w32 := func(v uint32) { binary.Write(&t, le, v) }
	t.WriteString("II")
	w16(42)
	w32(8)
	// IFD0 at 8: 2 entries: ImageDescription (ASCII), GPSInfo pointer.
	desc := "CANARY-GPS\x00"
	ifd0 := 8
	gpsIFD := ifd0 + 2 + 2*12 + 4
	descOff := gpsIFD + 2 + 4*12 + 4
	ratOff := descOff + len(desc)
	w16(2)
	w16(0x010e)
	w16(2)
	w32(uint32(len(desc)))
	w32(uint32(descOff))
	w16(0x8825)
	w16(4)
	w32(1)
	w32(uint32(gpsIFD))
	w32(0)
	// GPS IFD: LatitudeRef, Latitude, LongitudeRef, Longitude.
	w16(4)
	w16(1)
	w16(2)
	w32(2)
	t.Write([]byte{'N', 0, 0, 0})
	w16(2)
	w16(5)
	w32(3)
	w32(uint32(ratOff))
	w16(3)
	w16(2)
	w32(2)
	t.Write([]byte{'W', 0, 0, 0})
	w16(4)
	w16(5)
	w32(3)
	w32(uint32(ratOff + 24))
	w32(0)
	t.WriteString(desc)
	for _, r := range [][2]uint32{{51, 1}, {30, 1}, {0, 1}, {0, 1}, {7, 1}, {0, 1}} {
		w32(r[0])
		w32(r[1])
	}
	app1 := append([]byte("Exif\x00\x00"), t.Bytes()...)
	com := []byte("CANARY-TEXT comment")
	var out bytes.Buffer
	out.Write(img.Bytes()[:2]) // SOI
	seg := func(marker byte, payload []byte) {
		out.Write([]byte{0xff, marker})
		binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
		out.Write(payload)
	}
	seg(0xe1, app1)
	seg(0xfe, com)
	out.Write(img.Bytes()[2:])
	return out.Bytes()
}

// PNGWithText returns a decodable PNG with tEXt, iTXt and tIME chunks.
func PNGWithText() []byte {
	var img bytes.Buffer
	if err := png.Encode(&img, testImage()); err != nil {
		panic(err)
	}
	b := img.Bytes()
	// Insert the chunks after IHDR (8 + 25 bytes).
	var out bytes.Buffer
	out.Write(b[:33])
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	chunk("tEXt", []byte("Author\x00CANARY-AUTHOR"))
	chunk("iTXt", []byte("Comment\x00\x00\x00\x00\x00CANARY-TEXT"))
	chunk("tIME", []byte{0x07, 0xea, 11, 25, 12, 0, 0})
	out.Write(b[33:])
	return out.Bytes()
}

// PDFWithAuthor returns a one-page PDF whose information dictionary has
// /Author (CANARY-AUTHOR) and whose catalog has an XMP metadata stream
// holding CANARY-XMP, with a correct cross-reference table.
func PDFWithAuthor() []byte {
	xmp := `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>CANARY-XMP</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
	content := "BT /F1 12 Tf 72 720 Td (Visible page text) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 7 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		fmt.Sprintf("<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream", len(xmp), xmp),
		"<< /Author (CANARY-AUTHOR \\(Inspector\\)) /Creator <43414E4152592D54455854> /Producer (Hand) /CreationDate (D:20261125120000Z) >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
