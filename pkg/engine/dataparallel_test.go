package engine

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/dist"
)

// runRanks trains cfg as a data-parallel job of len(comms) ranks in this
// process, one trainer per rank, and returns the trainers and their errors.
func runRanks(t *testing.T, comms []dist.Comm, cfgFor func(rank int) []string) ([]*Trainer, []error) {
	t.Helper()
	n := len(comms)
	trs, errs := make([]*Trainer, n), make([]error, n)
	for r := range n {
		trs[r], _, _ = newTestTrainerOn(t, testfix.Config(t, cfgFor(r)...), nil)
	}
	eachRank(comms, func(r int) {
		if errs[r] = trs[r].Distribute(comms[r]); errs[r] == nil {
			errs[r] = trs[r].Run()
		}
	})
	return trs, errs
}

// maxParamDiff is the largest |a−b| over the parameters and buffers of two
// models of one architecture, and the tensor where it is.
func maxParamDiff(a, b *Trainer) (float64, string) {
	ta, tb := prefixed("", a.Model), prefixed("", b.Model)
	var worst float64
	where := ""
	for i := range ta {
		for j, v := range ta[i].Tensor.Data {
			if d := math.Abs(float64(v - tb[i].Tensor.Data[j])); d > worst || math.IsNaN(d) {
				worst, where = d, ta[i].Name
			}
		}
	}
	return worst, where
}

// TestDataParallelMatchesOneProcess trains N in-process ranks (dist.NewGroup)
// and one process on the same global batch — with ghost batch norm of the
// per-rank size, or with synchronized batch norm against plain batch norm
// — and checks that every rank ends with the one process's weights, up to
// the rounding of summing the gradient in parts, and that all ranks hold
// the same bits. The short last batch of every epoch (500 = 15·32 + 20)
// is split between the ranks too.
func TestDataParallelMatchesOneProcess(t *testing.T) {
	cnn := []string{"model.arch=cnn", "model.widths=[4,8]", "model.convs_per_stage=1", "model.hidden=[16]", "model.batch_norm=true"}
	cases := []struct {
		name   string
		ranks  int
		common []string
		single []string // the one process's own keys
		multi  []string // the ranks' own keys
	}{
		{"mlp/2", 2, nil, nil, nil},
		{"mlp/3/accumulate", 3, []string{"train.batch_size=30", "train.accumulate=2"}, nil, nil},
		{"mlp/2/no_overlap", 2, []string{"distributed.overlap=false", "distributed.bucket_cap_mb=0.01"}, nil, nil},
		// Weights above the cap are summed in blocks of rows as Linear
		// computes them (and as the step ends for a conv).
		{"mlp/2/row_blocks", 2, []string{"distributed.bucket_cap_mb=0.004"}, nil, nil},
		{"cnn_bn/2/ghost/row_blocks", 2, append(cnn, "distributed.bucket_cap_mb=0.0005"), []string{"train.ghost_batch_size=16"}, nil},
		{"cnn_bn/2/ghost", 2, cnn, []string{"train.ghost_batch_size=16"}, nil},
		{"cnn_bn/3/ghost", 3, append(cnn, "train.batch_size=30"), []string{"train.ghost_batch_size=10"}, nil},
		{"cnn_bn/2/sync_bn", 2, cnn, nil, []string{"distributed.sync_bn=true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := append([]string{"train.epochs=2", "distributed.checksum_every=5"}, tc.common...)
			one, _, _ := newTestTrainerOn(t, testfix.Config(t, append(base, tc.single...)...), nil)
			if err := one.Run(); err != nil {
				t.Fatal(err)
			}
			trs, errs := runRanks(t, dist.NewGroup(tc.ranks), func(int) []string { return append(base, tc.multi...) })
			for r, err := range errs {
				if err != nil {
					t.Fatalf("rank %d: %v", r, err)
				}
			}
			for r, tr := range trs {
				if tr.Step != one.Step || tr.Epoch != one.Epoch {
					t.Fatalf("rank %d at epoch %d step %d, one process at %d, %d", r, tr.Epoch, tr.Step, one.Epoch, one.Step)
				}
				if r > 0 && !testfix.SameBits(flat(tr), flat(trs[0])) {
					t.Fatalf("rank %d's model differs from rank 0's", r)
				}
			}
			if d, where := maxParamDiff(trs[0], one); d > 2e-5 { // measured: at most 2.1e-6
				t.Fatalf("the ranks' weights differ from one process's by %g (in %s)", d, where)
			}
			ra, oa := trs[0].last, one.last
			if math.Abs(ra.TrainLoss-oa.TrainLoss) > 1e-4 || math.Abs(ra.ValAcc-oa.ValAcc) > 0.011 {
				t.Fatalf("last epoch: ranks train loss %v val acc %v, one process %v %v", ra.TrainLoss, ra.ValAcc, oa.TrainLoss, oa.ValAcc)
			}
		})
	}
}

// flat is every parameter and buffer of tr's model in one slice.
func flat(tr *Trainer) []float32 {
	var out []float32
	for _, nt := range prefixed("", tr.Model) {
		out = append(out, nt.Tensor.Data...)
	}
	return out
}

// TestDataParallelOneRankIsSingleProcess: a job of one rank is the
// single-process run bit for bit.
func TestDataParallelOneRankIsSingleProcess(t *testing.T) {
	one, _, _ := newTestTrainerOn(t, testfix.Config(t), nil)
	if err := one.Run(); err != nil {
		t.Fatal(err)
	}
	trs, errs := runRanks(t, dist.NewGroup(1), func(int) []string { return nil })
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	if !testfix.SameBits(flat(trs[0]), flat(one)) {
		t.Fatal("a one-rank job differs from the single process")
	}
}

// TestDataParallelChecksumMismatch: ranks whose models drift apart (here a
// different learning rate on rank 1) stop at the first checksum with an
// error naming the rank, on every rank.
func TestDataParallelChecksumMismatch(t *testing.T) {
	_, errs := runRanks(t, dist.NewGroup(2), func(r int) []string {
		return []string{fmt.Sprintf("optimizer.lr=%g", 0.05*float64(r+1))}
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "step 1: the parameters of rank 1 differ from rank 0's") {
			t.Fatalf("rank %d: %v, want a checksum mismatch at step 1 naming rank 1", r, err)
		}
	}
}

// TestDataParallelDropoutMasksDiffer: the ranks draw their own dropout
// masks (the step index is interleaved with the rank), not copies of one.
func TestDataParallelDropoutMasksDiffer(t *testing.T) {
	tr, _, _ := newTestTrainerOn(t, testfix.Config(t), nil)
	seen := map[int64]bool{}
	for rank := range 3 {
		tr.dp = &dataParallel{comm: fakeRank{rank: rank, size: 3}}
		for step := range int64(4) {
			tr.Step = step
			for micro := range 2 {
				tr.Plan.Accumulate = 2
				s := tr.dropoutStep(micro)
				if seen[s] {
					t.Fatalf("rank %d step %d micro %d reuses dropout stream %d", rank, step, micro, s)
				}
				seen[s] = true
			}
		}
	}
}

// fakeRank is a communicator that only knows its rank.
type fakeRank struct {
	dist.Local
	rank, size int
}

func (f fakeRank) Rank() int { return f.rank }
func (f fakeRank) Size() int { return f.size }
