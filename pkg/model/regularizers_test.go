package model

import (
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
)

// TestStochasticRegularizers checks that DropConnect, stochastic depth and
// fractional pooling reach the layers, with per-layer overrides and
// distinct salts.
func TestStochasticRegularizers(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	s := Spec{Arch: "layers", Init: "kaiming_normal", Activation: "relu", HeadInitScale: 1, InitMode: "fan_in",
		DropConnect: 0.1, StochasticDepth: 0.3, StochasticDepthMode: "linear",
		Layers: []LayerSpec{
			{Type: "conv2d", Out: 4, Kernel: 3, Padding: 1},
			{Type: "basic_block", Out: 4},
			{Type: "basic_block", Out: 4, Drop: p(0.05)},
			{Type: "basic_block", Out: 4},
			{Type: "fractional_maxpool2d", Ratio: 1.5, TestDraws: 2},
			{Type: "flatten"},
			{Type: "linear", Out: 10, DropConnect: p(0)},
		}}
	m, err := build(s, []int{1, 12, 12}, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	var convs, salts = 0, map[uint64]bool{}
	var blocks []float64
	var head *nn.Linear
	var frac *nn.FractionalMaxPool2d
	walk(m.Net, func(l nn.Layer) {
		switch v := l.(type) {
		case *nn.Conv2d:
			convs++
			if v.DropConnect != 0.1 {
				t.Errorf("conv DropConnect %v, want 0.1", v.DropConnect)
			}
			salts[v.DropConnectSalt] = true
		case *nn.BasicBlock:
			blocks = append(blocks, v.DropProb)
		case *nn.Linear:
			head = v
		case *nn.FractionalMaxPool2d:
			frac = v
		}
	})
	if len(salts) != convs {
		t.Errorf("%d convolutions share %d salts", convs, len(salts))
	}
	if head == nil || head.DropConnect != 0 {
		t.Errorf("the head's own dropconnect 0 was not kept")
	}
	want := nn.LinearDropProbs(3, 0.3)
	want[1] = 0.05
	if len(blocks) != 3 || blocks[0] != want[0] || blocks[1] != want[1] || blocks[2] != want[2] {
		t.Errorf("block drop probabilities %v, want %v", blocks, want)
	}
	if frac == nil || frac.Ratio != 1.5 || frac.TestDraws != 2 || m.Net.Children()[4].Layer != frac {
		t.Errorf("fractional pooling %+v", frac)
	}
	// cnn with fractional pooling.
	c := Spec{Arch: "cnn", Widths: []int{4, 8}, ConvsPerStage: 1, Pool: "fractional", PoolRatio: 1.5,
		Init: "kaiming_normal", Activation: "relu", HeadInitScale: 1, InitMode: "fan_in"}
	cm, err := build(c, []int{1, 28, 28}, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := cm.Net.Children()[1].Layer.(*nn.Sequential); got == nil {
		t.Fatal("no stage 2")
	}
	c.PoolRatio = 2
	if _, err := build(c, []int{1, 28, 28}, 10, 1); err == nil {
		t.Error("ratio 2 was accepted")
	}
}
