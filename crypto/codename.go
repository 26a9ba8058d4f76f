package crypto

import (
	"strings"
	"sync"

	"github.com/sethvargo/go-diceware/diceware"
)

// The codename wordlist is EFF's large wordlist (7,776 words, 12.9 bits a
// word; 7 words ≈ 90 bits), as shipped by github.com/sethvargo/go-diceware,
// which draws its dice from crypto/rand.

// wordSet is the EFF large wordlist as a set, built on first use.
var wordSet = sync.OnceValue(func() map[string]struct{} {
	wl := diceware.WordListEffLarge()
	set := make(map[string]struct{}, 7776)
	forEachRoll(wl.Digits(), 0, func(n int) {
		if w := wl.WordAt(n); w != "" {
			set[w] = struct{}{}
		}
	})
	return set
})

// forEachRoll calls f for every number made of digits dice (1..6 each).
func forEachRoll(digits, prefix int, f func(int)) {
	if digits == 0 {
		f(prefix)
		return
	}
	for d := 1; d <= 6; d++ {
		forEachRoll(digits-1, prefix*10+d, f)
	}
}

// IsCodenameWord reports whether w (lower case) is in the codename wordlist.
func IsCodenameWord(w string) bool {
	_, ok := wordSet()[w]
	return ok
}

// CodenameWordCount is the number of words in the codename wordlist.
func CodenameWordCount() int { return len(wordSet()) }

// NewCodename returns CodenameWords distinct words of the EFF large
// wordlist drawn with crypto/rand, separated by single spaces. The result
// is already normalised.
func NewCodename() (string, error) {
	words, err := diceware.Generate(CodenameWords)
	if err != nil {
		return "", errorf("unable to generate codename: %w", err)
	}
	return strings.Join(words, " "), nil
}

// NormalizeCodename checks a codename typed by a person and returns its
// canonical form: lower case, words separated by one space, no surrounding
// whitespace. Input longer than MaxCodenameBytes is refused with
// ErrCodenameTooLong before any other work; anything that is not exactly
// CodenameWords words of the wordlist is refused with ErrCodename.
func NormalizeCodename(s string) (string, error) {
	if len(s) > MaxCodenameBytes {
		return "", ErrCodenameTooLong
	}
	words := strings.Fields(strings.ToLower(s))
	if len(words) != CodenameWords {
		return "", ErrCodename
	}
	set := wordSet()
	for _, w := range words {
		if _, ok := set[w]; !ok {
			return "", ErrCodename
		}
	}
	return strings.Join(words, " "), nil
}
