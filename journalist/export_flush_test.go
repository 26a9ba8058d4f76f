package journalist

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// endDropped is a response whose connection fails at the end: the bundle's
// bytes are accepted into the buffer, but they never reach the client.
type endDropped struct{ *httptest.ResponseRecorder }

func (endDropped) FlushError() error { return errors.New("connection reset by peer") }

// The items of an export are marked exported only once the whole bundle
// has left the server: a connection that fails while the last bytes are
// still buffered leaves them new, so the next export carries them again.
func TestExportNotMarkedWhenTheEndIsNotDelivered(t *testing.T) {
	e := newEnv(t)
	src, _ := e.addSource()
	it := e.addItem(src.ID, "report")
	req := httptest.NewRequest("POST", "/api/v1/export", nil)
	w := endDropped{httptest.NewRecorder()}
	func() {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				panic(v)
			}
		}()
		e.srv.streamExport(w, req, ExportSelection{}, func(err error) { t.Fatalf("export: %v", err) })
	}()
	got, err := e.st.Item(e.ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Exported {
		t.Fatal("an item was marked exported although the end of the bundle was not delivered")
	}
}
