// Command decnetctl is the operator's CLI for decnet. Its offline verbs (services, archetypes, distros, plan,
// parse, correlate --log-file, config check) need no daemon, no root and no DECNET_* settings.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
