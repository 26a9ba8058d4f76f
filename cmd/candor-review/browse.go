package main

import "errors"

func runBrowse(e *env, args []string) error {
	return errors.New("not yet")
}
