package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	_ "image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/candor-drop/candor/cmd/candor-review/internal/scrub/scrubtest"
	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

// readUnverified reads an export bundle without checking anything, to
// build hostile variants of it.
func readUnverified(ts *testscript.TestScript, r io.Reader) (map[string][]byte, *bundle.ExportManifest) {
	tr := tar.NewReader(r)
	items := map[string][]byte{}
	var m bundle.ExportManifest
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		data, err := io.ReadAll(tr)
		ts.Check(err)
		switch {
		case hdr.Name == "manifest.json":
			ts.Check(json.Unmarshal(data, &m))
		case strings.HasPrefix(hdr.Name, "items/"):
			items[strings.TrimPrefix(hdr.Name, "items/")] = data
		}
	}
	return items, &m
}

// rawEntries returns the tar entries of a bundle in order.
func rawEntries(ts *testscript.TestScript, name string) ([]*tar.Header, [][]byte) {
	f, err := os.Open(name)
	ts.Check(err)
	defer f.Close()
	tr := tar.NewReader(f)
	var hdrs []*tar.Header
	var datas [][]byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return hdrs, datas
		}
		ts.Check(err)
		data, err := io.ReadAll(tr)
		ts.Check(err)
		hdrs = append(hdrs, hdr)
		datas = append(datas, data)
	}
}

func writeEntries(ts *testscript.TestScript, name string, hdrs []*tar.Header, datas [][]byte) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, h := range hdrs {
		h.Size = int64(len(datas[i]))
		ts.Check(tw.WriteHeader(h))
		_, err := tw.Write(datas[i])
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(os.WriteFile(name, buf.Bytes(), 0o600))
}

// tamper MODE IN OUT
//
//	truncate   cut the bundle in the middle of its last item
//	swap       exchange the contents of the first two items (signature intact)
//	flip       flip one bit in the last item's ciphertext
//	extra      append an entry the manifest does not list
//	garbage    re-sign with the real server key (DATA given as 4th arg) after
//	           replacing the first item's ciphertext with random bytes and
//	           the second item's with a message that is not a report:
//	           a validly signed bundle with two malformed items
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: tamper MODE IN OUT [DATA]")
	}
	in, out := ts.MkAbs(args[1]), ts.MkAbs(args[2])
	switch args[0] {
	case "truncate":
		data, err := os.ReadFile(in)
		ts.Check(err)
		hdrs, datas := rawEntries(ts, in)
		last := len(datas[len(datas)-1])
		// The archive ends with two 512-byte zero blocks after the padded last entry.
		cut := len(data) - 1024 - (last+511)/512*512 + last/2
		ts.Check(os.WriteFile(out, data[:cut], 0o600))
		_ = hdrs
	case "swap":
		hdrs, datas := rawEntries(ts, in)
		if len(datas) < 4 {
			ts.Fatalf("need two items to swap")
		}
		datas[2], datas[3] = datas[3], datas[2]
		writeEntries(ts, out, hdrs, datas)
	case "flip":
		hdrs, datas := rawEntries(ts, in)
		last := datas[len(datas)-1]
		last[len(last)/2] ^= 0x01
		writeEntries(ts, out, hdrs, datas)
	case "extra":
		hdrs, datas := rawEntries(ts, in)
		hdrs = append(hdrs, &tar.Header{Name: "items/ffffffffffffffffffffffffffffffff", Mode: 0o600, Typeflag: tar.TypeReg})
		datas = append(datas, []byte("extra"))
		writeEntries(ts, out, hdrs, datas)
	case "garbage":
		if len(args) != 4 {
			ts.Fatalf("usage: tamper garbage IN OUT DATA")
		}
		dataDir := ts.MkAbs(args[3])
		f, err := os.Open(in)
		ts.Check(err)
		items, m := readUnverified(ts, f)
		f.Close()
		if len(m.Items) < 2 {
			ts.Fatalf("need two items")
		}
		junk := make([]byte, 700)
		rand.Read(junk)
		items[m.Items[0].ID] = junk
		st, _, _ := openServer(ts, dataDir)
		keys, err := st.SubmissionKeys(context.Background(), true)
		st.Close()
		ts.Check(err)
		pk, err := crypto.ParsePublicKey(keys[0].PublicKey)
		ts.Check(err)
		ct, err := crypto.EncryptBytes([]byte("this is not a report"), pk)
		ts.Check(err)
		items[m.Items[1].ID] = ct
		for i := range m.Items[:2] {
			d := items[m.Items[i].ID]
			sum := sha256.Sum256(d)
			m.Items[i].Size, m.Items[i].SHA256 = int64(len(d)), hex.EncodeToString(sum[:])
		}
		raw, err := os.ReadFile(filepath.Join(dataDir, "secrets", "signing.key"))
		ts.Check(err)
		sk, err := crypto.ParseSigningKey(raw)
		ts.Check(err)
		o, err := os.Create(out)
		ts.Check(err)
		defer o.Close()
		ts.Check(bundle.WriteExport(o, m, sk, func(it bundle.Item) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(items[it.ID])), nil
		}))
	default:
		ts.Fatalf("unknown tamper mode %q", args[0])
	}
}

// mkfixture KIND OUT: jpeg (with an EXIF GPS position), png (with text
// chunks), pdf (with /Author and XMP). Every fixture carries the canary
// strings scrubtest.Canaries.
func cmdMkFixture(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkfixture jpeg|png|pdf OUT")
	}
	var data []byte
	switch args[0] {
	case "jpeg":
		data = scrubtest.JPEGWithGPS()
	case "png":
		data = scrubtest.PNGWithText()
	case "pdf":
		data = scrubtest.PDFWithAuthor()
	default:
		ts.Fatalf("unknown fixture %q", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o600))
}

// nometadata FILE: FILE holds none of the canaries and, for an image,
// still decodes.
func cmdNoMetadata(ts *testscript.TestScript, neg bool, args []string) {
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var left []string
	for _, c := range scrubtest.Canaries {
		if bytes.Contains(data, []byte(c)) {
			left = append(left, c)
		}
	}
	if neg {
		if len(left) == 0 {
			ts.Fatalf("%s carries no metadata canary, but it should", args[0])
		}
		return
	}
	if len(left) > 0 {
		ts.Fatalf("%s still carries %q", args[0], left)
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xd8}) {
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			ts.Fatalf("cleaned JPEG does not decode: %v", err)
		}
	}
}
