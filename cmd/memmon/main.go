// Command memmon is an event listener for supervisord; see package
// supervisord/listeners/memmon, or run "memmon -h".
package main

import (
	"os"

	"supervisord/listeners/memmon"
)

func main() { os.Exit(memmon.Main(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)) }
