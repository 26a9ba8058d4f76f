package crypto

import "fmt"

// errorf prefixes the package name: errorf("unable to x: %w", err).
func errorf(format string, args ...any) error {
	return fmt.Errorf("crypto: "+format, args...)
}
