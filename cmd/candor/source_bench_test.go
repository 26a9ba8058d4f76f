package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor-drop/candor/store"
)

// Benchmarks of the source interface against the real binary over
// loopback HTTP. See docs/performance.md for the commands and numbers.

// peakRSS reads VmHWM (peak resident set size) of a process, in bytes.
func peakRSS(tb testing.TB, pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM")
	return 0
}

// patternReader yields n bytes of a repeating pattern without holding them.
type patternReader struct{ n int64 }

var pattern = []byte(strings.Repeat("candor upload benchmark 0123456789\n", 2000))

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	n := copy(b, pattern)
	p.n -= int64(n)
	return n, nil
}

// uploadOnce sends one report with one attachment of size bytes, streamed.
func uploadOnce(tb testing.TB, c *http.Client, base string, size int64) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("message", "benchmark")
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="file"; filename="big.bin"`)
		h.Set("Content-Type", "application/octet-stream")
		fw, _ := mw.CreatePart(h)
		if _, err := io.CopyBuffer(fw, &patternReader{n: size}, make([]byte, 64<<10)); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest("POST", base+"/report", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cc.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("upload of %d bytes: status %d", size, resp.StatusCode)
	}
}

// BenchmarkSourceUpload measures a streamed upload of one attachment over
// loopback HTTP into the real server, and the server's peak RSS.
func BenchmarkSourceUpload(b *testing.B) {
	for _, size := range []int64{64 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			bin, data, _ := sourceInstance(b)
			setMaxUpload(b, data, size+(1<<20))
			srv := startSourceServer(b, bin, data)
			c := sourceSession(b, srv.url)
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				uploadOnce(b, c, srv.url, size)
			}
			b.StopTimer()
			b.ReportMetric(float64(peakRSS(b, srv.cmd.Process.Pid))/(1<<20), "peak-RSS-MiB")
		})
	}
}

// BenchmarkSourceLanding measures GET / latency, alone and during a flood of
// codename logins (each a full Argon2id with the instance's default
// parameters, 64 MiB, t=3), and reports p50 and p99.
func BenchmarkSourceLanding(b *testing.B) {
	for _, flood := range []int{0, 16, 64} {
		b.Run(fmt.Sprintf("flood=%d", flood), func(b *testing.B) {
			bin, data, _ := sourceInstanceKDF(b, nil) // the default, costly KDF
			srv := startSourceServer(b, bin, data)
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var logins, busy atomic.Int64
			for range flood {
				wg.Go(func() {
					fc := &http.Client{Transport: &http.Transport{}}
					form := url.Values{"codename": {"abacus abdomen abdominal abide abiding ability ablaze"}}.Encode()
					for {
						select {
						case <-stop:
							return
						default:
						}
						resp, err := fc.Post(srv.url+"/login", "application/x-www-form-urlencoded", strings.NewReader(form))
						if err != nil {
							continue
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						logins.Add(1)
						if resp.StatusCode == http.StatusServiceUnavailable {
							busy.Add(1)
						}
					}
				})
			}
			if flood > 0 {
				time.Sleep(2 * time.Second) // let the flood fill the KDF slots and queue
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				resp, err := c.Get(srv.url + "/")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != 200 {
					b.Fatalf("landing: %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			if flood > 0 {
				b.ReportMetric(float64(logins.Load()), "logins")
				b.ReportMetric(float64(busy.Load()), "busy-answers")
				b.ReportMetric(float64(peakRSS(b, srv.cmd.Process.Pid))/(1<<20), "peak-RSS-MiB")
			}
		})
	}
}

func setMaxUpload(tb testing.TB, data string, n int64) {
	st, err := store.Open(data, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	s := store.DefaultSettings
	s.MaxUploadBytes = n
	if err := st.SaveSettings(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
}
