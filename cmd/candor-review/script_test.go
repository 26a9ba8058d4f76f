package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
	"github.com/candor-drop/candor/store"
)

// The testscript tests (testdata/script/*.txt) drive the real
// candor-review binary (this test binary re-executed) against the real
// candor server binary, built once in TestMain.

var candorBin string

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"candor-review": func() int {
			e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
			if err := run(e, os.Args[1:]); err != nil {
				printError(os.Stderr, err)
				return 1
			}
			return 0
		},
	}))
}

// buildCandor builds cmd/candor once per test process.
func buildCandor(t *testing.T) string {
	t.Helper()
	if candorBin != "" {
		return candorBin
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "candor")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "github.com/candor-drop/candor/cmd/candor")
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building candor: %v\n%s", err, out)
	}
	candorBin = bin
	return bin
}

func TestScript(t *testing.T) {
	bin := buildCandor(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+e.Getenv("PATH"))
			// A short GNUPGHOME: gpg-agent's socket path must fit in 108 bytes.
			gh, err := os.MkdirTemp("", "gpg")
			if err != nil {
				return err
			}
			e.Setenv("GNUPGHOME", gh)
			e.Defer(func() {
				exec.Command("gpgconf", "--homedir", gh, "--kill", "all").Run()
				os.RemoveAll(gh)
			})
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"submit":        cmdSubmit,
			"report":        cmdReport,
			"reporterreads": cmdReporterReads,
			"mkfixture":     cmdMkFixture,
			"tamper":        cmdTamper,
			"forgebundle":   cmdForgeBundle,
			"perm":          cmdPerm,
			"nometadata":    cmdNoMetadata,
			"treecontains":  cmdTreeContains,
			"itemid":        cmdItemID,
			"extractitem":   cmdExtractItem,
		},
	})
}

// openServer opens the store of a candor data directory, as the source
// interface would.
func openServer(ts *testscript.TestScript, dir string) (*store.Store, []byte, crypto.KDFParams) {
	pepper, err := os.ReadFile(filepath.Join(dir, "secrets", "pepper"))
	ts.Check(err)
	st, err := store.Open(dir, store.Options{MinFreeBytes: 1})
	ts.Check(err)
	kdf := crypto.DefaultKDFParams
	if b, err := st.Setting(context.Background(), "kdf_params"); err == nil {
		ts.Check(json.Unmarshal(b, &kdf))
	}
	return st, pepper, kdf
}

// submit DATA CODENAME_OUT REPORT_JSON [ATTACHMENT...]
//
// Plays a reporter: creates a source with a fresh codename (written to
// CODENAME_OUT), then stores the report (a JSON file in the format of
// docs/report-format.md) and each attachment, encrypted to the instance's
// active submission keys exactly as the source interface stores them.
func cmdSubmit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: submit DATA CODENAME_OUT REPORT_JSON [ATTACHMENT...]")
	}
	ctx := context.Background()
	st, pepper, kdf := openServer(ts, ts.MkAbs(args[0]))
	defer st.Close()
	codename, err := crypto.NewCodename()
	ts.Check(err)
	id, err := crypto.DeriveSource(codename, pepper, kdf)
	ts.Check(err)
	var src *store.Source
	for range 10 {
		des, err := crypto.NewDesignation()
		ts.Check(err)
		src, err = st.CreateSource(ctx, id.LookupID, id.PublicKey().Bytes(), des)
		if err == nil {
			break
		}
	}
	if src == nil {
		ts.Fatalf("could not create a source")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(codename+"\n"), 0o600))
	keys, err := st.SubmissionKeys(ctx, true)
	ts.Check(err)
	var pubs []*crypto.PublicKey
	var fprs []string
	for _, k := range keys {
		pk, err := crypto.ParsePublicKey(k.PublicKey)
		ts.Check(err)
		pubs = append(pubs, pk)
		fprs = append(fprs, pk.Fingerprint())
	}
	add := func(kind store.ItemKind, plain io.Reader) {
		_, err := st.AddItem(ctx, store.NewItem{SourceID: src.ID, Kind: kind, Fingerprints: fprs}, func(w io.Writer) error {
			ew, err := crypto.Encrypt(w, pubs...)
			if err != nil {
				return err
			}
			if _, err := io.Copy(ew, plain); err != nil {
				return err
			}
			return ew.Close()
		})
		ts.Check(err)
	}
	report, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	add(store.KindMessage, bytes.NewReader(report))
	for _, a := range args[3:] {
		name, path, ok := strings.Cut(a, "=")
		if !ok {
			name, path = filepath.Base(a), a
		}
		data, err := os.ReadFile(ts.MkAbs(path))
		ts.Check(err)
		hdr, _ := json.Marshal(map[string]any{"version": 1, "filename": name, "content_type": "application/octet-stream"})
		add(store.KindFile, io.MultiReader(bytes.NewReader(hdr), strings.NewReader("\n"), bytes.NewReader(data)))
	}
	ts.Logf("source %s (%s) submitted", src.Designation, src.ID)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]+".designation"), []byte(src.Designation), 0o600))
	ts.Setenv("DESIGNATION", src.Designation)
}

// perm MODE PATH...: every file or directory under PATH has exactly MODE
// (files) or 0700 (directories) when MODE is 0600.
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	for _, root := range args {
		err := filepath.Walk(ts.MkAbs(root), func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			want := os.FileMode(0o600)
			if fi.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				return fmt.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
			}
			return nil
		})
		ts.Check(err)
	}
}

// treecontains DIR TEXT: some file under DIR contains TEXT (used to prove
// that plaintext never reached the server's data directory: negated).
func cmdTreeContains(ts *testscript.TestScript, neg bool, args []string) {
	found := ""
	filepath.Walk(ts.MkAbs(args[0]), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(args[1])) {
				found = p
			}
		}
		return nil
	})
	if (found != "") != !neg {
		ts.Fatalf("%q found in %s: %q", args[1], args[0], found)
	}
}

// forgebundle IN OUT: writes the content of bundle IN as a bundle signed by
// a fresh key that nobody pinned.
func cmdForgeBundle(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: forgebundle IN OUT")
	}
	in, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer in.Close()
	items, m := readUnverified(ts, in)
	sk, err := crypto.GenerateSigningKey()
	ts.Check(err)
	out, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	defer out.Close()
	ts.Check(bundle.WriteExport(out, m, sk, func(it bundle.Item) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(items[it.ID])), nil
	}))
}

// itemid HOME KIND|FILENAME VAR: sets $VAR to the id of the first imported
// item of that kind, or of the attachment with that file name.
func cmdItemID(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: itemid HOME KIND|FILENAME VAR")
	}
	data, err := os.ReadFile(filepath.Join(ts.MkAbs(args[0]), "workspace", "index.json"))
	ts.Check(err)
	var ix struct {
		Items map[string]struct {
			Kind     string `json:"kind"`
			Filename string `json:"filename"`
			Seq      int64  `json:"seq"`
		} `json:"items"`
	}
	ts.Check(json.Unmarshal(data, &ix))
	best, bestSeq := "", int64(-1)
	for id, it := range ix.Items {
		if (it.Kind == args[1] || it.Filename == args[1]) && (bestSeq < 0 || it.Seq < bestSeq) {
			best, bestSeq = id, it.Seq
		}
	}
	if best == "" {
		ts.Fatalf("no item %q", args[1])
	}
	ts.Setenv(args[2], best)
}

// extractitem BUNDLE KIND OUT: writes the ciphertext of the first item of
// KIND in an export bundle to OUT.
func cmdExtractItem(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: extractitem BUNDLE KIND OUT")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	items, m := readUnverified(ts, f)
	for _, it := range m.Items {
		if it.Kind == args[1] {
			ts.Check(os.WriteFile(ts.MkAbs(args[2]), items[it.ID], 0o600))
			return
		}
	}
	ts.Fatalf("no %s item in the bundle", args[1])
}
