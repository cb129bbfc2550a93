// Command supervisorctl controls a running supervisord over its XML-RPC
// interface, one command at a time from the command line or in an
// interactive shell. Its options, commands, output and exit statuses follow
// Supervisor 4.2.5's supervisorctl.
package main

import "os"

func main() { os.Exit(NewCLI(os.Stdin, os.Stdout, os.Stderr).Run(os.Args[1:])) }
