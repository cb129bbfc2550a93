package main

import (
	"fmt"
	"os"

	"supervisord/conf"
)

// testConfig is --test-config: it reads the config as the daemon would,
// prints every problem found, one a line, then a summary, and returns 0
// when the config would load, 1 when not.
func (c *CLI) testConfig(o *options) int {
	path := o.configFile
	if path == "" {
		var err error
		if path, err = conf.Search(); err != nil {
			return c.fail(err)
		}
	}
	r := conf.Check(path, os.Environ())
	for _, line := range r.Lines() {
		fmt.Fprintln(c.out, line)
	}
	verdict, code := "the config would load", 0
	if !r.OK() {
		verdict, code = "the config would not load", 1
	}
	fmt.Fprintf(c.out, "%s: %s, %s: %s\n", path, plural(len(r.Errors), "error"), plural(len(r.Warnings), "warning"), verdict)
	return code
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
