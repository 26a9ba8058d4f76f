package crypto

// Benchmarks for docs/performance.md. Size with CANDOR_BENCH_MB (default 64):
//
//	go test -run '^$' -bench 'Encrypt|Decrypt|GnuPG' -benchtime 3x ./crypto/
//	CANDOR_BENCH_MB=1024 go test -run '^$' -bench 'Encrypt|Decrypt|GnuPG' -benchtime 1x -timeout 30m ./crypto/
//	go test -run '^$' -bench DeriveSource -benchtime 5x ./crypto/

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

func benchSize() int64 {
	mb, _ := strconv.Atoi(os.Getenv("CANDOR_BENCH_MB"))
	if mb <= 0 {
		mb = 64
	}
	return int64(mb) << 20
}

// patternReader yields n bytes by repeating a random 1 MiB block, so the
// plaintext costs no memory and nothing compresses.
type patternReader struct {
	block []byte
	left  int64
	off   int
}

func newPatternReader(tb testing.TB, n int64) *patternReader {
	return &patternReader{block: randomBytes(tb, 1<<20), left: n}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := copy(p, r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	r.left -= int64(n)
	return n, nil
}

// heapPeak samples the live heap every few milliseconds until stopped and
// returns the peak above the level at start, in MiB.
func heapPeak() (stop func() float64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		if peak < base {
			return 0
		}
		return float64(peak-base) / (1 << 20)
	}
}

// cpuTime returns the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPlaintext writes n bytes of incompressible plaintext to a file.
func benchPlaintext(b *testing.B, n int64) string {
	p := filepath.Join(b.TempDir(), "plain")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, newPatternReader(b, n)); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkEncrypt encrypts a file into a file, as gpg does in
// BenchmarkGnuPG. "gnupg-stock" is go-crypto's own SEIPD v1 writer.
func BenchmarkEncrypt(b *testing.B) {
	n := benchSize()
	plain := benchPlaintext(b, n)
	out := filepath.Join(b.TempDir(), "out.pgp")
	cases := []struct {
		name  string
		p     Profile
		stock bool
	}{{"gnupg", ProfileGnuPG, false}, {"gnupg-stock", ProfileGnuPG, true}, {"rfc9580", ProfileRFC9580, false}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			k := testKey(b, c.p, "bench")
			defer func(v bool) { fastSEIPDv1 = v }(fastSEIPDv1)
			fastSEIPDv1 = !c.stock
			b.SetBytes(n)
			stop := heapPeak()
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				in, err := os.Open(plain)
				if err != nil {
					b.Fatal(err)
				}
				f, err := os.Create(out)
				if err != nil {
					b.Fatal(err)
				}
				w, err := Encrypt(f, k.Public())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(w, in); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				in.Close()
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(stop(), "peak-heap-MiB")
		})
	}
}

// benchCiphertext writes an n-byte message to k into a file and returns
// its path.
func benchCiphertext(b *testing.B, k *PrivateKey, n int64) string {
	p := filepath.Join(b.TempDir(), "msg.pgp")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w, err := Encrypt(f, k.Public())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, newPatternReader(b, n)); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkDecrypt(b *testing.B) {
	n := benchSize()
	for _, pr := range profiles {
		b.Run(pr.name, func(b *testing.B) {
			k := testKey(b, pr.p, "bench")
			path := benchCiphertext(b, k, n)
			b.SetBytes(n)
			stop := heapPeak()
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if err := DecryptTo(io.Discard, f, k); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(stop(), "peak-heap-MiB")
		})
	}
}

// BenchmarkGnuPG runs gpg on the same sizes and keys for comparison
// (encrypting to the same Candor key, AES-256, no compression), and
// reports gpg's peak resident set size.
func BenchmarkGnuPG(b *testing.B) {
	n := benchSize()
	home, err := os.MkdirTemp("", "cgpg")
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	}()
	k := testKey(b, ProfileGnuPG, "bench")
	sec, _ := k.MarshalArmored(nil)
	gpg := func(stdin []byte, args ...string) *os.ProcessState {
		cmd := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--no-tty", "--quiet", "--trust-model", "always"}, args...)...)
		cmd.Stdin = bytes.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("gpg %v: %v %s", args, err, out)
		}
		return cmd.ProcessState
	}
	gpg(sec, "--import")
	dir := b.TempDir()
	plain := filepath.Join(dir, "plain")
	f, _ := os.Create(plain)
	io.Copy(f, newPatternReader(b, n))
	f.Close()
	ct := filepath.Join(dir, "plain.gpg")
	maxrss := func(ps *os.ProcessState) float64 {
		return float64(ps.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	}
	cpu := func(ps *os.ProcessState) time.Duration { return ps.UserTime() + ps.SystemTime() }
	encrypt := func() *os.ProcessState {
		return gpg(nil, "--yes", "--compress-algo", "none", "--cipher-algo", "AES256",
			"--recipient", k.Fingerprint(), "--output", ct, "--encrypt", plain)
	}
	encrypt() // the message for "decrypt", whichever runs
	b.Run("encrypt", func(b *testing.B) {
		b.SetBytes(n)
		var rss float64
		var used time.Duration
		for range b.N {
			ps := encrypt()
			rss = max(rss, maxrss(ps))
			used += cpu(ps)
		}
		b.ReportMetric(float64(used)/float64(b.N)/1e6, "cpu-ms/op")
		b.ReportMetric(rss, "maxrss-MiB")
	})
	b.Run("decrypt", func(b *testing.B) {
		b.SetBytes(n)
		var rss float64
		var used time.Duration
		for range b.N {
			ps := gpg(nil, "--yes", "--output", "/dev/null", "--decrypt", ct)
			rss = max(rss, maxrss(ps))
			used += cpu(ps)
		}
		b.ReportMetric(float64(used)/float64(b.N)/1e6, "cpu-ms/op")
		b.ReportMetric(rss, "maxrss-MiB")
	})
}

// BenchmarkDeriveSource is one login with the default parameters, warm
// (the Go heap already holds the Argon2 memory from the previous login).
func BenchmarkDeriveSource(b *testing.B) {
	for range b.N {
		if _, err := DeriveSource(testCodename, testPepper, DefaultKDFParams); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeriveSourceCold returns memory to the OS before each login,
// so the 64 MiB are faulted in again, as for the first login after a
// quiet period.
func BenchmarkDeriveSourceCold(b *testing.B) {
	for range b.N {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		b.StartTimer()
		if _, err := DeriveSource(testCodename, testPepper, DefaultKDFParams); err != nil {
			b.Fatal(err)
		}
	}
}
