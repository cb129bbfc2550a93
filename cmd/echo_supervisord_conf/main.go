// Command echo_supervisord_conf prints a sample supervisord.conf to start
// from. Like the reference's, it takes no options and ignores its arguments.
package main

import (
	"fmt"
	"io"
	"os"

	"supervisord/conf"
)

func main() { os.Exit(NewCLI(os.Stdout, os.Stderr).Run(os.Args[1:])) }

// CLI is one run of the command.
type CLI struct{ out, err io.Writer }

// NewCLI returns a CLI writing the sample to out.
func NewCLI(out, err io.Writer) *CLI { return &CLI{out: out, err: err} }

// Run prints the sample and returns the exit status.
func (c *CLI) Run([]string) int {
	if _, err := io.WriteString(c.out, conf.Sample()); err != nil {
		fmt.Fprintf(c.err, "Error: %s\n", err)
		return 1
	}
	return 0
}
