// Command crashmail is an event listener for supervisord; see package
// supervisord/listeners/crashmail, or run "crashmail -h".
package main

import (
	"os"

	"supervisord/listeners/crashmail"
)

func main() { os.Exit(crashmail.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
