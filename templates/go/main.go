// The go template's entry point: fwatchdog (classic mode) starts this
// program once per request with the body on stdin; what it prints is the
// answer.
package main

import (
	"fmt"
	"io"
	"os"

	"handler/function"
)

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading the request: %s\n", err)
		os.Exit(1)
	}
	fmt.Print(function.Handle(input))
}
