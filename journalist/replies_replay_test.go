package journalist

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/candor-drop/candor/store"
)

// A bundle is the same bundle whatever follows its end: zero padding (as
// dd or a 10 KiB tar record adds) or stray bytes after the archive must
// not make it apply again and undo a later status change.
func TestReplyBundleReplayWithTrailingBytesChangesNothing(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.reviewer("alice", false))
	key := e.pinReviewKey()
	src, srcKey := e.addSource()
	note := e.encryptTo("closed", srcKey.Public(), e.sub.Public())
	b := e.replyBundle(key, nil, []testStatus{{newID(t), src.ID, store.StatusNoCase, note}})
	if resp, out := e.apiCall("POST", "/api/v1/replies", tok, b); resp.StatusCode != 200 {
		t.Fatalf("apply: %d %s", resp.StatusCode, out)
	}
	if err := e.st.SetStatus(e.ctx, src.ID, store.StatusInReview, nil); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	for _, tail := range [][]byte{make([]byte, 10240), []byte("\n")} {
		padded := append(bytes.Clone(b), tail...)
		resp, out := e.apiCall("POST", "/api/v1/replies", tok, padded)
		var res ApplyResult
		json.Unmarshal(out, &res)
		if resp.StatusCode == 200 && !res.AlreadyApplied {
			t.Fatalf("the same bundle with %d bytes appended was applied again: %s", len(tail), out)
		}
		if after := e.snapshot(); after != before {
			t.Fatalf("the same bundle with %d bytes appended changed something", len(tail))
		}
	}
}
