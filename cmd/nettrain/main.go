// Command nettrain trains neural networks on the CPU from YAML experiment
// configs.
//
//	nettrain train -c configs/quickstart.yaml
//	nettrain eval runs/quickstart/checkpoints/best.ckpt
//	nettrain sanity -c configs/quickstart.yaml
//	nettrain validate -c configs/quickstart.yaml
//
// Exit status: 0 success, 1 a failed run or failed check, 2 bad usage or bad
// input (config, data, checkpoint, flag).
package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr, term.IsTerminal(int(os.Stderr.Fd()))))
}

// execute runs one command line and returns the process exit status.
// Progress bars are drawn on stderr only if stderrIsTerminal.
func execute(args []string, stdout, stderr io.Writer, stderrIsTerminal bool) int {
	app := &app{stdout: stdout, stderr: stderr, terminal: stderrIsTerminal}
	root := app.rootCommand()
	root.SetArgs(args)
	err := root.Execute()
	code := app.report(err)
	app.endComm(err, code)
	return code
}
