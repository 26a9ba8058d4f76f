package tor

import "strings"

// CurrentOnions lists the onion services tor runs for this control
// connection (GETINFO onions/current), for tests.
func (t *Tor) CurrentOnions() ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	vals, err := t.bt.Control.GetInfo("onions/current")
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, v := range vals {
		ids = append(ids, strings.Fields(v.Val)...)
	}
	return ids, nil
}
