package engine

import (
	"math"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
)

// TestFeatureCache: with the body frozen (and its batch norm), training
// the head on cached features ends with the weights of training it with
// the body run on every batch; the body stays as it was. Bodies that are
// not the same function in training (batch norm still moving) are not
// cached; a dropout inside the frozen steps ends the cached part, and the
// frozen steps from it on run on every batch.
func TestFeatureCache(t *testing.T) {
	base := []string{"model.arch=cnn", "model.widths=[4]", "model.convs_per_stage=1", "model.hidden=[16]", "train.epochs=2",
		"train.freeze=[stage1.*, fc1.*]"}
	cases := []struct {
		name      string
		extra     []string
		cacheable bool
		partial   bool // the cache ends before the frozen steps do
	}{
		{"frozen batch norm", []string{"train.freeze_bn=true"}, true, false},
		{"moving batch norm", nil, false, false},
		{"dropout inside the body", []string{"train.freeze_bn=true", "model.dropout=0.2"}, true, true},
		{"dropout between the body and a new hidden layer", []string{"train.freeze_bn=true", "model.dropout=0.2", "train.freeze=[stage1.*]"}, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testfix.Config(t, append(base, tc.extra...)...)
			cached, m1, _ := newTestTrainerOn(t, cfg, nil)
			plain, m2, _ := newTestTrainerOn(t, cfg, nil)
			plain.noFeatureCache = true
			if got := cached.cacheableSteps() > 0; got != tc.cacheable {
				t.Fatalf("cacheable %v, want %v", got, tc.cacheable)
			}
			if got := tc.cacheable && cached.cacheableSteps() < m1.Net.BackwardStop(); got != tc.partial {
				t.Fatalf("cached %d of the %d frozen steps; want partial %v", cached.cacheableSteps(), m1.Net.BackwardStop(), tc.partial)
			}
			body := append([]float32(nil), m1.Params()[0].Value.Data...)
			if err := cached.Run(); err != nil {
				t.Fatal(err)
			}
			if err := plain.Run(); err != nil {
				t.Fatal(err)
			}
			if (cached.features != nil) != tc.cacheable {
				t.Errorf("cache built %v, want %v", cached.features != nil, tc.cacheable)
			}
			for i, p := range m1.Params() {
				q := m2.Params()[i]
				for j, v := range p.Value.Data {
					if math.Abs(float64(v-q.Value.Data[j])) > 1e-5 {
						t.Fatalf("%s[%d]: %v cached, %v uncached", p.Name, j, v, q.Value.Data[j])
					}
				}
			}
			if !testfix.SameBits(body, m1.Params()[0].Value.Data) {
				t.Error("the frozen body changed")
			}
		})
	}
}
