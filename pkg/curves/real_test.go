package curves

import (
	"slices"
	"testing"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/run"
)

// quickstart is the config the real runs start from: an MLP 784-256-128-10
// on the in-repo Fashion-MNIST subset (1,800 train, 200 val), 15 epochs.
const quickstart = "../../configs/quickstart.yaml"

// realRuns are short real trainings of the quickstart config made to show
// each verdict, with the headline Diagnose gives them (measured, and
// deterministic: same config and seed, same curves) and verdicts that
// must come with it.
var realRuns = []struct {
	name     string
	set      []string
	headline string
	also     []string
}{
	{"quickstart", nil, Overfitting, nil}, // train_acc 0.988 vs val_acc 0.810 and growing
	{"overfitting", []string{"data.train_limit=300", "data.val_split=100", "regularization.l2=0", "train.epochs=40"}, Overfitting, nil},
	{"underfitting low rate", []string{"model.hidden=[4]", "optimizer.lr=0.001", "optimizer.momentum=0", "optimizer.nesterov=false"}, Underfitting, nil},
	{"underfitting tiny model", []string{"model.hidden=[2]"}, Underfitting, nil},
	{"still improving", []string{"schedule.type=constant", "optimizer.lr=0.002", "train.epochs=6"}, StillImproving, nil},
	{"flat start", []string{"model.init=normal", "model.init_std=0.01", "model.hidden=[64,64,64]", "model.head_init_scale=1"}, FlatStart, []string{StillImproving}},
	{"diverged", []string{"optimizer.type=adam", "optimizer.lr=0.1", "optimizer.momentum=0", "optimizer.nesterov=false", "train.epochs=8"}, Diverged, []string{Spikes}},
	{"spikes", []string{"train.batch_size=256", "optimizer.lr=0.1"}, Spikes, nil},
	{"noisy", []string{"optimizer.lr=0.03", "train.batch_size=8", "train.epochs=3", "schedule.type=constant", "optimizer.clip_grad_norm=2"}, Noisy, nil},
	{"healthy", []string{"model.hidden=[64]", "model.dropout=0.5", "regularization.l2=1e-3"}, Healthy, nil},
}

// TestDiagnoseRealRuns trains each of realRuns (about a second each) and
// checks its diagnosis.
func TestDiagnoseRealRuns(t *testing.T) {
	for _, tt := range realRuns {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := trainRun(t, tt.set...)
			d := Diagnose(r)
			t.Logf("%v", d.Verdicts)
			if d.Headline().Name != tt.headline {
				t.Errorf("headline %v, want %s", d.Headline(), tt.headline)
			}
			for _, v := range tt.also {
				if !d.Has(v) {
					t.Errorf("verdicts %v lack %s", d.Names(), v)
				}
			}
			if tt.headline == Healthy && len(d.Verdicts) != 1 {
				t.Errorf("healthy with %v", d.Names())
			}
		})
	}
}

// trainRun trains the quickstart config with overrides into a temporary
// folder and loads it.
func trainRun(t *testing.T, overrides ...string) *Run {
	t.Helper()
	cfg, err := config.Load(quickstart, overrides)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := run.Train(cfg, run.Options{ConfigPath: quickstart, OutDir: dir, Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.RatioColumns(), "fc1.weight") || r.RatioLow != DefaultRatioLow || r.RatioHigh != DefaultRatioHigh {
		t.Errorf("run %s: ratios %v, band %g", dir, r.RatioColumns(), r.RatioLow)
	}
	return r
}
