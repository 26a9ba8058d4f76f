package tortest

import "testing"

func TestCheckInterfaces(t *testing.T) {
	lo := iface{name: "lo", up: true, addrs: []string{"127.0.0.1/8", "::1/128"}}
	for _, tc := range []struct {
		name string
		ifs  []iface
		ok   bool
	}{
		{"loopback only", []iface{lo}, true},
		{"loopback, IPv4 only", []iface{{name: "lo", up: true, addrs: []string{"127.0.0.1/8"}}}, true},
		{"a second interface", []iface{lo, {name: "eth0", up: true, addrs: []string{"192.0.2.7/24"}}}, false},
		{"a down second interface", []iface{lo, {name: "wlan0"}}, false},
		{"another address on lo", []iface{{name: "lo", up: true, addrs: []string{"127.0.0.1/8", "192.0.2.1/32"}}}, false},
		{"lo down", []iface{{name: "lo", addrs: []string{"127.0.0.1/8"}}}, false},
		{"no interface", nil, false},
	} {
		err := checkInterfaces(tc.ifs)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// The tests run in a loopback-only namespace (.ci/netns): the real check
// must pass there, or no Tor test could run.
func TestCheckLoopbackOnlyInNamespace(t *testing.T) {
	if err := CheckLoopbackOnly(); err != nil {
		t.Fatal(err)
	}
}
