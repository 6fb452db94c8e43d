package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the YAML file at path, applies --set overrides, decodes strictly,
// applies defaults, resolves paths and validates.
//
// Each override is "key.path=value" (the text after --set); see [Parse].
// A file that cannot be read gives one line such as
// "config configs/nope.yaml: no such file"; errors.Is(err, fs.ErrNotExist)
// then holds.
func Load(path string, overrides []string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &fileError{path: path, err: err}
	}
	return Parse(data, path, overrides)
}

// Parse is Load on bytes; filename is used in error messages and to resolve
// relative data paths (filepath.Dir(filename)).
//
// The steps, in order:
//
//  1. parse data as one YAML document, which must be a mapping (an empty
//     document is an error unless overrides supply the keys);
//  2. apply the overrides "key.path=value" to the YAML tree: the value is
//     parsed as YAML ("0.1", "true", "[128,64]", "{type: linear, out: 10}"),
//     missing sections are created, and the key path is checked against the
//     schema;
//  3. decode the tree strictly into [Default]: unknown and duplicate keys,
//     wrong kinds and wrong types are errors, null means "use the default";
//  4. fill in the defaults that depend on other keys (name, output.dir,
//     model.hidden, layer bias) and make data.dir absolute;
//  5. validate ranges and cross-key rules.
//
// The returned error is nil or holds one problem per line, each an [*Error]
// (use errors.As): decoding errors stop before validation, so a run reports
// either its decoding errors or its validation errors.
func Parse(data []byte, filename string, overrides []string) (*Config, error) {
	root, err := parseRoot(data, filename)
	if err != nil {
		return nil, err
	}
	if root == nil {
		if len(overrides) == 0 {
			return nil, &Error{File: filename, Msg: "empty config: no keys (at least data.dir must be set)"}
		}
		root = mapNode()
	}

	marks := make(map[*yaml.Node]string)
	if errs := applyOverrides(root, filename, overrides, marks); len(errs) > 0 {
		return nil, joinErrors(errs)
	}

	d := newDecoder(filename, marks)
	c := Default()
	d.decodeStruct(root, reflect.ValueOf(c).Elem(), "")
	if len(d.errs) > 0 {
		return nil, joinErrors(d.errs)
	}

	c.applyDerivedDefaults(d.isSet, filename)
	for _, p := range []struct {
		key string
		v   *string
	}{{"data.dir", &c.Data.Dir}, {"model.init_from", &c.Model.InitFrom}} {
		if err := resolvePath(p.v, filename, d.set[p.key]); err != nil {
			e := &Error{Path: p.key, Msg: err.Error()}
			d.locate(e)
			return nil, e
		}
	}

	errs := c.validate()
	for _, e := range errs {
		d.locate(e)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return c, nil
}

// resolvePath makes a relative path key (data.dir, model.init_from)
// absolute: relative to the folder of the config file when it came from
// the file, to the working directory when it came from --set.
func resolvePath(v *string, filename string, o origin) error {
	if *v == "" || filepath.IsAbs(*v) {
		return nil
	}
	dir := *v
	if !strings.HasPrefix(o.src, "--set ") {
		dir = filepath.Join(filepath.Dir(filename), dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("cannot make %q absolute: %v", *v, err)
	}
	*v = abs
	return nil
}

// parseRoot parses data as exactly one YAML document and returns its root
// mapping, or nil for an empty document (nothing, only comments, or null).
func parseRoot(data []byte, filename string) (*yaml.Node, error) {
	doc, err := parseYAML(data)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			return nil, &Error{File: filename, Line: pe.line, Msg: pe.msg}
		}
		return nil, &Error{File: filename, Msg: err.Error()}
	}
	if doc == nil || len(doc.Content) == 0 {
		return nil, nil
	}
	n := deref(doc.Content[0])
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: filename, Line: n.Line, Msg: fmt.Sprintf(
			"a config must be a mapping of sections (%s), got %s",
			strings.Join(keyNames(reflect.TypeFor[Config]()), ", "), describe(n))}
	}
	return n, nil
}

// parseError is a YAML syntax error with its line (0 when yaml did not give
// one).
type parseError struct {
	line int
	msg  string
}

func (e *parseError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return e.msg
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// parseYAML parses data as one YAML document; nil for an empty input. More
// than one document is an error. It never panics.
func parseYAML(data []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, &parseError{msg: fmt.Sprintf("invalid YAML: parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, syntaxError(err, data)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == io.EOF:
	case err != nil:
		return nil, syntaxError(err, data)
	default:
		return nil, &parseError{line: second.Line, msg: "invalid YAML: more than one document (a config is one document; remove the second ---)"}
	}
	return &first, nil
}

// syntaxError turns a yaml error "yaml: line 3: mapping values are not
// allowed in this context" into a parseError.
func syntaxError(err error, data []byte) *parseError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "\n", "; ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserProblem(m[2]) {
			line++
		}
		// A problem found at the end of the input is reported on the
		// last line there is, not on the empty one after its newline.
		last := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			last++
		}
		line = min(line, max(last, 1))
		return &parseError{line: line, msg: "invalid YAML: " + m[2]}
	}
	if parserProblem(msg) { // line 0, which the library leaves out
		return &parseError{line: 1, msg: "invalid YAML: " + msg}
	}
	return &parseError{msg: "invalid YAML: " + msg}
}

// yamlParserProblems are the messages of the YAML library's parser (as
// opposed to its scanner). For these it reports the line counted from 0
// (and no line at all for the first), while scanner errors count from 1.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected key",
	"did not find expected node content",
	"found undefined tag handle",
	"found incompatible YAML document",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
}

// parserProblem reports whether msg is one of yamlParserProblems.
func parserProblem(msg string) bool {
	return slices.Contains(yamlParserProblems, msg)
}
