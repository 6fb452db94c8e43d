package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Error is one problem found in a config. Its Error method gives one line:
//
//	FILE:LINE: PATH: MSG
//
// with ":LINE" left out when the line is unknown (a missing key, a default)
// and "PATH: " left out when the problem is not about one key. Without a file
// name it reads "line LINE: PATH: MSG", or "PATH: MSG" (as from
// [Config.Validate] on a Config built in code).
//
// File is the config file name as given to [Load] or [Parse], or
// "--set key.path=value" when the value came from an override.
// Path is the dotted key path, e.g. "optimizer.lr" or "model.layers[2].out".
type Error struct {
	// File is the config file name, or "--set key=value" for a value that
	// came from an override.
	File string
	// Line is the 1-based line of the key in File; 0 when unknown.
	Line int
	// Path is the dotted key path the problem is about; empty when the
	// problem is about the whole document.
	Path string
	// Msg says what is wrong and what is allowed.
	Msg string
}

// Error formats e as "FILE:LINE: PATH: MSG".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// joinErrors returns nil for no errors, the *Error itself for one, and an
// errors.Join (one error per line) for several. Use errors.As to get at an
// individual *Error.
func joinErrors(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// fileError reports a config file that could not be read:
// "config configs/nope.yaml: no such file". It unwraps to the underlying
// error, so errors.Is(err, fs.ErrNotExist) works.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string {
	var msg string
	var pe *fs.PathError
	switch {
	case errors.Is(e.err, fs.ErrNotExist):
		msg = "no such file"
	case errors.As(e.err, &pe):
		msg = pe.Err.Error()
	default:
		msg = e.err.Error()
	}
	return fmt.Sprintf("config %s: %s", e.path, msg)
}

func (e *fileError) Unwrap() error { return e.err }

// aliases maps key names people bring from PyTorch or other tools to the key
// path this schema uses for the same thing.
var aliases = map[string]string{
	"l2_penalty":     "regularization.l2",
	"learning_rate":  "optimizer.lr",
	"scheduler":      "schedule",
	"lr_scheduler":   "schedule",
	"num_epochs":     "train.epochs",
	"max_epochs":     "train.epochs",
	"hidden_sizes":   "model.hidden",
	"hidden_layers":  "model.hidden",
	"data_dir":       "data.dir",
	"out_features":   "out",
	"output_dir":     "output.dir",
	"batchsize":      "train.batch_size",
	"test_batch":     "train.eval_batch_size",
	"val_batch_size": "train.eval_batch_size",
}

// unknownKeyMsg is the message for key name, unknown in a section whose keys
// are known: a did-you-mean suggestion when one is close, the list of known
// keys otherwise.
func unknownKeyMsg(name string, known []string) string {
	if s := suggest(name, known); s != "" {
		return fmt.Sprintf("unknown key; did you mean %q?", s)
	}
	lname := strings.ToLower(name)
	if p, ok := aliases[lname]; ok {
		if p == "out" {
			if contains(known, "out") {
				return `unknown key; did you mean "out"?`
			}
		} else {
			return fmt.Sprintf("unknown key; did you mean %q?", p)
		}
	}
	// The same key name in another section, e.g. a top-level "epochs".
	var elsewhere []string
	for _, p := range schemaPaths() {
		if i := strings.LastIndexByte(p, '.'); i >= 0 && p[i+1:] == lname {
			elsewhere = append(elsewhere, strconv.Quote(p))
		}
	}
	if len(elsewhere) > 0 {
		return "unknown key; did you mean " + strings.Join(elsewhere, " or ") + "?"
	}
	return "unknown key; known keys: " + strings.Join(known, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the known key closest to name: Levenshtein distance <= 2
// (ignoring case), or one a prefix of the other; "" when none is close.
func suggest(name string, known []string) string {
	lname := strings.ToLower(name)
	best, bestScore := "", 1<<30
	for _, k := range known {
		d := levenshtein(lname, k)
		score := -1
		switch {
		case d <= 2 && d < len(lname):
			score = d
		case len(lname) >= 2 && strings.HasPrefix(k, lname),
			len(k) >= 2 && strings.HasPrefix(lname, k):
			score = 3 // a prefix match ranks after a close edit
		}
		if score >= 0 && score < bestScore {
			best, bestScore = k, score
		}
	}
	return best
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
