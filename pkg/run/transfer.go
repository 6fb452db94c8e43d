package run

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/spec"
)

// InitReport says what model.init_from did to a fresh model.
type InitReport struct {
	From  string `json:"from"`
	Epoch int    `json:"epoch"` // the checkpoint's epoch
	// Loaded are the model tensors copied from the checkpoint; Excluded
	// the ones model.init_include/init_exclude left to model.init; New the
	// ones the checkpoint lacks (also left to model.init); Unused the
	// checkpoint's tensors the model lacks. Names in model order.
	Loaded   []string `json:"loaded"`
	Excluded []string `json:"excluded"`
	New      []string `json:"new"`
	Unused   []string `json:"unused"`
}

// InitFrom initializes m from the checkpoint model.init_from of s names:
// every tensor (parameter or buffer) of m that the checkpoint's model has
// under the same name and that init_include and init_exclude select is
// copied, and must have the same shape. A shape mismatch, or a checkpoint
// of which no tensor matches, is an *InputError naming the tensor and the
// file; nothing of m changes then.
func InitFrom(m *model.Model, s model.Spec) (*InitReport, error) {
	src, err := LoadCheckpoint(s.InitFrom)
	if err != nil {
		return nil, engine.InputErrorf("model.init_from: %v", err)
	}
	have := map[string]int{}
	srcTensors := engine.ModelTensors(src.Model)
	for i, t := range srcTensors {
		have[t.Name] = i
	}
	rep := &InitReport{From: s.InitFrom, Epoch: src.Epoch}
	dst := engine.ModelTensors(m)
	var copies [][2]int // dst, src
	var mismatch error  // the first tensor of another shape
	used := map[string]bool{}
	for i, t := range dst {
		j, ok := have[t.Name]
		used[t.Name] = ok
		switch {
		case (len(s.InitInclude) > 0 && !spec.MatchAny(s.InitInclude, t.Name)) || spec.MatchAny(s.InitExclude, t.Name):
			rep.Excluded = append(rep.Excluded, t.Name)
		case !ok:
			rep.New = append(rep.New, t.Name)
		case !slices.Equal(srcTensors[j].Shape, t.Shape):
			if mismatch == nil {
				mismatch = engine.InputErrorf("model.init_from %s: tensor %s has shape %v there but %v in this model: exclude it (model.init_exclude: [%q]) to initialize it anew, e.g. a head for another number of classes",
					s.InitFrom, t.Name, srcTensors[j].Shape, t.Shape, headGlob(t.Name))
			}
		default:
			copies = append(copies, [2]int{i, j})
			rep.Loaded = append(rep.Loaded, t.Name)
		}
	}
	for _, t := range srcTensors {
		if !used[t.Name] {
			rep.Unused = append(rep.Unused, t.Name)
		}
	}
	if len(copies) == 0 {
		why := "model.init_include/init_exclude select none of those the two share, or the names differ"
		if src.Model.Arch != m.Arch {
			why = fmt.Sprintf("a checkpoint of another architecture (%s; this model %s)", src.Model.Arch, m.Arch)
		}
		return nil, engine.InputErrorf("model.init_from %s: none of its %d tensors (%s, ...) can be loaded into this model (%s, ...): %s",
			s.InitFrom, len(srcTensors), srcTensors[0].Name, dst[0].Name, why)
	}
	if mismatch != nil {
		if src.Model.Arch != m.Arch {
			return nil, engine.InputErrorf("%v; it is a checkpoint of another architecture (%s; this model %s)", mismatch, src.Model.Arch, m.Arch)
		}
		return nil, mismatch
	}
	for _, c := range copies {
		copy(dst[c[0]].Data, srcTensors[c[1]].Data)
	}
	return rep, nil
}

// headGlob is the glob of the layer that holds tensor name ("fc3.weight"
// → "fc3.*").
func headGlob(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[:i] + ".*"
	}
	return name
}

// Print writes the report in a few lines: counts, and the names of the
// tensors not loaded.
func (r *InitReport) Print(w io.Writer) {
	fmt.Fprintf(w, "init_from %s (epoch %d): %d tensors loaded", r.From, r.Epoch, len(r.Loaded))
	for _, part := range []struct {
		what  string
		names []string
	}{{"excluded, initialized anew", r.Excluded}, {"not in the checkpoint, initialized anew", r.New}, {"of the checkpoint unused", r.Unused}} {
		if len(part.names) > 0 {
			fmt.Fprintf(w, "; %d %s: %s", len(part.names), part.what, strings.Join(part.names, ", "))
		}
	}
	fmt.Fprintln(w)
}
