// Command httpok is an event listener for supervisord; see package
// supervisord/listeners/httpok, or run "httpok -h".
package main

import (
	"os"

	"supervisord/listeners/httpok"
)

func main() { os.Exit(httpok.Main(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)) }
