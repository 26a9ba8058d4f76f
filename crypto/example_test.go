package crypto_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/candor-drop/candor/crypto"
)

func Example() {
	// On the air-gapped machine: a submission key. Only its public half
	// goes to the server.
	key, err := crypto.GenerateSubmissionKey("Unit <unit@example.org>", crypto.ProfileGnuPG)
	if err != nil {
		panic(err)
	}
	pub, err := crypto.ParsePublicKey([]byte(key.Public().Armored()))
	if err != nil {
		panic(err)
	}

	// On the server: stream a report into an OpenPGP message.
	var msg bytes.Buffer
	w, err := crypto.Encrypt(&msg, pub)
	if err != nil {
		panic(err)
	}
	io.Copy(w, strings.NewReader("the report"))
	if err := w.Close(); err != nil { // Close writes the integrity tag
		panic(err)
	}

	// Back on the air-gapped machine: decrypt into a temporary place and
	// use it only if DecryptTo returns nil.
	var tmp bytes.Buffer
	if err := crypto.DecryptTo(&tmp, &msg, key); err != nil {
		tmp.Reset() // discard: the plaintext is not authentic
		fmt.Println(err)
		return
	}
	fmt.Println(tmp.String())
	// Output: the report
}
