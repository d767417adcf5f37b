// Command ticketledger runs the ledger (serve) and talks to it (CLI).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ticketledger: under construction")
	os.Exit(2)
}
