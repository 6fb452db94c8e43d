package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// randomConv returns a Conv2d with N(0, 0.5²) weights and bias.
func randomConv(inC, outC, kh, kw, stride, pad int, bias bool, seed uint64) *nn.Conv2d {
	c := nn.NewConv2d(inC, outC, kh, kw, stride, pad, bias)
	r := rand.New(rand.NewPCG(seed, 5))
	for _, p := range c.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] = float32(r.NormFloat64() * 0.5)
		}
	}
	return c
}

// spacedInput returns a tensor whose entries are a random permutation of
// distinct values 0.05 apart (centred on 0), so no two entries of a pooling
// window come within a finite-difference step of each other.
func spacedInput(seed uint64, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	r := rand.New(rand.NewPCG(seed, 13))
	for i, p := range r.Perm(len(x.Data)) {
		x.Data[i] = 0.05 * float32(p-len(x.Data)/2)
	}
	return x
}

func TestConv2dGradients(t *testing.T) {
	rect := randomConv(2, 3, 3, 2, 1, 0, true, 17)
	rect.StrideW, rect.PadH = 2, 1
	rectUnit := randomConv(2, 3, 3, 2, 1, 0, true, 20) // unit stride: dx as a convolution of dy
	rectUnit.PadH = 1
	cases := []struct {
		name  string
		layer *nn.Conv2d
		in    []int
	}{
		{"3x3_pad1_stride1", randomConv(2, 3, 3, 3, 1, 1, true, 11), []int{3, 2, 5, 5}},
		{"3x3_pad1_stride1_batch1", randomConv(2, 3, 3, 3, 1, 1, true, 12), []int{1, 2, 5, 5}},
		{"3x3_stride2_pad0", randomConv(2, 3, 3, 3, 2, 0, true, 13), []int{3, 2, 7, 7}},
		{"3x3_stride2_pad0_even", randomConv(1, 2, 3, 3, 2, 0, true, 13), []int{2, 1, 6, 6}},
		{"1x1", randomConv(3, 4, 1, 1, 1, 0, true, 14), []int{3, 3, 4, 4}},
		{"1x1_batch1", randomConv(3, 2, 1, 1, 1, 0, true, 14), []int{1, 3, 3, 5}},
		{"1x1_stride2_pad1", randomConv(2, 2, 1, 1, 2, 1, true, 15), []int{2, 2, 5, 4}},
		{"5x5_no_bias", randomConv(2, 3, 5, 5, 1, 2, false, 16), []int{3, 2, 6, 6}},
		{"5x5_no_bias_pad0_batch1", randomConv(1, 2, 5, 5, 1, 0, false, 16), []int{1, 1, 6, 7}},
		{"nonsquare_7x5", randomConv(2, 3, 3, 3, 1, 1, true, 18), []int{3, 2, 7, 5}},
		{"nonsquare_7x5_stride2_pad2", randomConv(2, 2, 3, 3, 2, 2, true, 19), []int{1, 2, 7, 5}},
		{"rect_kernel_axis_settings", rect, []int{2, 2, 6, 5}},
		{"rect_kernel_unit_stride", rectUnit, []int{2, 2, 6, 5}},
		{"3x3_pad0_stride1", randomConv(3, 2, 3, 3, 1, 0, false, 21), []int{2, 3, 5, 6}},
		{"1x1_pad1_stride1", randomConv(2, 3, 1, 1, 1, 1, true, 22), []int{2, 2, 3, 4}}, // padding ≥ kernel: col2im
		{"wide_chunks", randomConv(2, 3, 3, 3, 1, 1, true, 23), []int{11, 2, 4, 4}},     // more examples than gradient chunks
		// Grouped examples (see groupSize): 12x12 planes go two to a matrix
		// multiply, so each gradient chunk of three examples holds a whole
		// and a partial group.
		{"grouped_chunks", randomConv(2, 2, 3, 3, 1, 1, true, 24), []int{24, 2, 12, 12}},
		{"grouped_strided", randomConv(1, 2, 3, 3, 2, 1, false, 25), []int{24, 1, 23, 23}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nntest.CheckLayer(t, tc.layer, nntest.RandomInput(9, tc.in...), nntest.Options{Seed: 2})
		})
	}
}

func TestPoolGradients(t *testing.T) {
	cases := []struct {
		name  string
		layer nn.Layer
		in    []int
	}{
		{"max_2x2_s2", nn.NewMaxPool2d(2, 0, 0), []int{3, 2, 6, 6}},
		{"max_2x2_s2_odd_input", nn.NewMaxPool2d(2, 2, 0), []int{1, 2, 5, 7}},
		{"max_3x3_s2_p1", nn.NewMaxPool2d(3, 2, 1), []int{2, 2, 7, 7}},
		{"max_3x3_s1_p1_nonsquare", nn.NewMaxPool2d(3, 1, 1), []int{2, 1, 7, 5}},
		{"avg_2x2_s2", nn.NewAvgPool2d(2, 0, 0), []int{3, 2, 6, 6}},
		{"avg_3x3_s2_p1", nn.NewAvgPool2d(3, 2, 1), []int{2, 2, 7, 5}},
		{"global_avg", &nn.GlobalAvgPool{}, []int{3, 4, 5, 3}},
		{"global_avg_1x1", &nn.GlobalAvgPool{}, []int{2, 3, 1, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nntest.CheckLayer(t, tc.layer, spacedInput(9, tc.in...), nntest.Options{Seed: 3})
		})
	}
}

// TestSmallCNNGradients checks a conv → pool → conv → global pool → linear
// stack end to end, with the shapes chained by OutShape.
func TestSmallCNNGradients(t *testing.T) {
	s := nn.NewSequential(
		nn.Named{Name: "conv1", Layer: randomConv(2, 3, 3, 3, 1, 1, true, 21)},
		nn.Named{Name: "pool1", Layer: nn.NewMaxPool2d(2, 0, 0)},
		nn.Named{Name: "conv2", Layer: randomConv(3, 4, 3, 3, 2, 1, false, 22)},
		nn.Named{Name: "avg", Layer: nn.NewAvgPool2d(2, 1, 1)},
		nn.Named{Name: "gap", Layer: &nn.GlobalAvgPool{}},
		nn.Named{Name: "fc", Layer: randomLinear(4, 3, true, 23)},
	)
	out, err := s.OutShape([]int{2, 8, 6})
	if err != nil || !slices.Equal(out, []int{3}) {
		t.Fatalf("OutShape = %v, %v; want [3]", out, err)
	}
	// Inputs of conv1 are smooth, but the max pool sees conv outputs: a
	// smaller step keeps perturbations from reordering a window.
	nntest.CheckLayer(t, s, nntest.RandomInput(4, 2, 2, 8, 6), nntest.Options{Seed: 4, Eps: 2e-3, AbsTol: 5e-3})
}

// naiveConv computes the convolution with plain loops in float64.
func naiveConv(c *nn.Conv2d, x *tensor.Tensor) []float64 {
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	oh := (h+2*c.PadH-c.KH)/c.StrideH + 1
	ow := (w+2*c.PadW-c.KW)/c.StrideW + 1
	wt := c.Weight.Value.Data
	out := make([]float64, n*c.OutC*oh*ow)
	for b := 0; b < n; b++ {
		for o := 0; o < c.OutC; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s float64
					if c.Bias != nil {
						s = float64(c.Bias.Value.Data[o])
					}
					for ch := 0; ch < c.InC; ch++ {
						for u := 0; u < c.KH; u++ {
							for v := 0; v < c.KW; v++ {
								r, q := i*c.StrideH-c.PadH+u, j*c.StrideW-c.PadW+v
								if r < 0 || r >= h || q < 0 || q >= w {
									continue
								}
								s += float64(wt[((o*c.InC+ch)*c.KH+u)*c.KW+v]) *
									float64(x.Data[((b*c.InC+ch)*h+r)*w+q])
							}
						}
					}
					out[((b*c.OutC+o)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return out
}

func TestConv2dForwardReference(t *testing.T) {
	rect := randomConv(3, 4, 2, 3, 1, 0, true, 38)
	rect.StrideH, rect.PadW = 2, 2
	cases := []struct {
		name string
		conv *nn.Conv2d
		in   []int
	}{
		{"3x3_pad1", randomConv(3, 5, 3, 3, 1, 1, true, 31), []int{2, 3, 9, 9}},
		{"3x3_stride2", randomConv(3, 5, 3, 3, 2, 0, true, 32), []int{2, 3, 9, 8}},
		{"3x3_stride3_pad2", randomConv(2, 3, 3, 3, 3, 2, true, 33), []int{2, 2, 10, 11}},
		{"1x1", randomConv(6, 4, 1, 1, 1, 0, true, 34), []int{3, 6, 5, 7}},
		{"1x1_stride2", randomConv(6, 4, 1, 1, 2, 0, false, 35), []int{3, 6, 5, 7}},
		{"5x5_no_bias", randomConv(4, 8, 5, 5, 1, 2, false, 36), []int{2, 4, 12, 10}},
		{"7x7_stride2_pad3", randomConv(3, 4, 7, 7, 2, 3, true, 37), []int{1, 3, 16, 16}},
		{"kernel_larger_than_input_with_pad", randomConv(1, 2, 5, 5, 1, 2, true, 39), []int{2, 1, 3, 2}},
		{"rect_kernel_axis_settings", rect, []int{2, 3, 7, 6}},
		{"grouped_7x7_batch37", randomConv(4, 6, 3, 3, 1, 1, true, 40), []int{37, 4, 7, 7}}, // groups of 16, 16 and 5
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := nntest.RandomInput(5, tc.in...)
			want := naiveConv(tc.conv, x)
			// Twice: the second call runs on reused buffers.
			for range 2 {
				y := tc.conv.Forward(&nn.Context{}, x)
				out, err := tc.conv.OutShape(tc.in[1:])
				if err != nil || !y.SameShape(append([]int{tc.in[0]}, out...)) {
					t.Fatalf("output %v, OutShape %v (%v)", y.Shape, out, err)
				}
				if len(y.Data) != len(want) {
					t.Fatalf("%d outputs, want %d", len(y.Data), len(want))
				}
				for i, v := range y.Data {
					if math.Abs(float64(v)-want[i]) > 1e-4*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("y[%d] = %v, want %v", i, v, want[i])
					}
				}
			}
		})
	}
}

func TestPoolSemantics(t *testing.T) {
	ctx := &nn.Context{Train: true}
	// Ties: the gradient goes to the first maximum in row-major order.
	mp := nn.NewMaxPool2d(2, 0, 0)
	x := tensor.FromData([]float32{
		1, 3, 2, 2,
		3, 0, 2, 2,
	}, 1, 1, 2, 4)
	y := mp.Forward(ctx, x)
	if !slices.Equal(y.Data, []float32{3, 2}) {
		t.Fatalf("max pool output %v", y.Data)
	}
	dx := mp.Backward(ctx, tensor.FromData([]float32{10, 20}, 1, 1, 1, 2))
	if !slices.Equal(dx.Data, []float32{0, 10, 20, 0, 0, 0, 0, 0}) {
		t.Fatalf("max pool gradient %v", dx.Data)
	}
	// Padding is −∞ for max pooling: all-negative input stays negative.
	mp = nn.NewMaxPool2d(3, 2, 1)
	neg := tensor.FromData([]float32{-5, -4, -3, -2, -9, -6, -7, -8, -1}, 1, 1, 3, 3)
	if y := mp.Forward(ctx, neg); !slices.Equal(y.Data, []float32{-2, -3, -2, -1}) {
		t.Fatalf("padded max pool output %v", y.Data)
	}
	// NaN propagates.
	nan := tensor.FromData([]float32{1, float32(math.NaN()), 2, 3}, 1, 1, 2, 2)
	if y := nn.NewMaxPool2d(2, 0, 0).Forward(ctx, nan); !math.IsNaN(float64(y.Data[0])) {
		t.Fatalf("NaN did not propagate: %v", y.Data)
	}
	// count_include_pad: a corner window of a 3x3 pool with padding 1 sees
	// four ones and five zeros of padding.
	ap := nn.NewAvgPool2d(3, 2, 1)
	ones := tensor.New(1, 1, 3, 3)
	for i := range ones.Data {
		ones.Data[i] = 1
	}
	if y := ap.Forward(ctx, ones); !slices.Equal(y.Data, []float32{4. / 9, 4. / 9, 4. / 9, 4. / 9}) {
		t.Fatalf("avg pool output %v", y.Data)
	}
	// Global average pooling.
	g := &nn.GlobalAvgPool{}
	y = g.Forward(ctx, tensor.FromData([]float32{1, 2, 3, 6, 0, 0, 0, 4}, 2, 1, 2, 2))
	if !y.SameShape([]int{2, 1}) || !slices.Equal(y.Data, []float32{3, 1}) {
		t.Fatalf("global avg pool %v %v", y.Shape, y.Data)
	}
}

func TestConvPoolOutShape(t *testing.T) {
	cases := []struct {
		layer   nn.Layer
		in      []int
		want    []int
		wantErr string // substring; "" for success
	}{
		{nn.NewConv2d(1, 32, 3, 3, 1, 1, true), []int{1, 28, 28}, []int{32, 28, 28}, ""},
		{nn.NewConv2d(1, 32, 3, 3, 1, 0, true), []int{1, 28, 28}, []int{32, 26, 26}, ""},
		{nn.NewConv2d(3, 8, 3, 3, 2, 0, true), []int{3, 7, 8}, []int{8, 3, 3}, ""},
		{nn.NewConv2d(3, 8, 3, 3, 2, 1, true), []int{3, 7, 8}, []int{8, 4, 4}, ""},
		{nn.NewConv2d(3, 8, 1, 1, 1, 0, false), []int{3, 7, 5}, []int{8, 7, 5}, ""},
		{nn.NewConv2d(3, 8, 5, 5, 1, 2, false), []int{3, 1, 1}, []int{8, 1, 1}, ""},
		{nn.NewConv2d(3, 8, 3, 3, 1, 1, true), []int{4, 8, 8}, nil, "expects 3 input channels, got 4"},
		{nn.NewConv2d(3, 8, 3, 3, 1, 1, true), []int{192}, nil, "expects an image (channels, height, width)"},
		{nn.NewConv2d(3, 8, 3, 3, 1, 1, true), []int{1, 3, 8, 8}, nil, "expects an image"},
		{nn.NewConv2d(3, 8, 5, 5, 1, 0, true), []int{3, 4, 9}, nil, "output would be empty"},
		{nn.NewConv2d(3, 8, 3, 3, 1, 0, true), []int{3, 0, 9}, nil, "non-empty image"},
		{nn.NewMaxPool2d(2, 0, 0), []int{32, 28, 28}, []int{32, 14, 14}, ""},
		{nn.NewMaxPool2d(2, 0, 0), []int{32, 7, 5}, []int{32, 3, 2}, ""},
		{nn.NewMaxPool2d(3, 2, 1), []int{16, 7, 7}, []int{16, 4, 4}, ""},
		{nn.NewMaxPool2d(3, 2, 1), []int{16, 1, 1}, []int{16, 1, 1}, ""},
		{nn.NewMaxPool2d(3, 2, 2), []int{16, 7, 7}, nil, "more than half"},
		{nn.NewMaxPool2d(3, 0, 0), []int{16, 2, 7}, nil, "output would be empty"},
		{nn.NewMaxPool2d(2, 0, 0), []int{784}, nil, "expects an image"},
		{nn.NewAvgPool2d(2, 0, 0), []int{8, 6, 6}, []int{8, 3, 3}, ""},
		{nn.NewAvgPool2d(3, 1, 1), []int{8, 6, 5}, []int{8, 6, 5}, ""},
		{nn.NewAvgPool2d(2, 0, 2), []int{8, 6, 6}, nil, "more than half"},
		{nn.NewAvgPool2d(4, 0, 0), []int{8, 3, 6}, nil, "output would be empty"},
		{&nn.GlobalAvgPool{}, []int{64, 7, 7}, []int{64}, ""},
		{&nn.GlobalAvgPool{}, []int{64}, nil, "expects an image"},
		{&nn.GlobalAvgPool{}, []int{64, 0, 7}, nil, "non-empty image"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s%v", tc.layer.Describe(), tc.in), func(t *testing.T) {
			got, err := tc.layer.OutShape(tc.in)
			if tc.wantErr == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, %v; want an error containing %q", got, err, tc.wantErr)
			}
		})
	}
}

func TestConvPoolDescribeAndFans(t *testing.T) {
	c := nn.NewConv2d(1, 32, 3, 3, 1, 1, true)
	rect := nn.NewConv2d(3, 16, 5, 3, 2, 0, false)
	rect.PadW = 1
	for _, tc := range []struct{ got, want string }{
		{c.Describe(), "Conv2d(1→32, 3x3, stride 1, pad 1)"},
		{rect.Describe(), "Conv2d(3→16, 5x3, stride 2, pad 0x1, no bias)"},
		{nn.NewMaxPool2d(2, 0, 0).Describe(), "MaxPool2d(2x2, stride 2, pad 0)"},
		{nn.NewAvgPool2d(3, 2, 1).Describe(), "AvgPool2d(3x3, stride 2, pad 1)"},
		{(&nn.GlobalAvgPool{}).Describe(), "GlobalAvgPool"},
	} {
		if tc.got != tc.want {
			t.Errorf("Describe() = %q, want %q", tc.got, tc.want)
		}
	}
	if in, out := rect.Fans(); in != 45 || out != 240 {
		t.Errorf("Fans() = %d, %d; want 45, 240", in, out)
	}
	if !c.Weight.Decay || c.Bias.Decay || !slices.Equal(c.Weight.Value.Shape, []int{32, 1, 3, 3}) {
		t.Errorf("weight %v decay %v, bias decay %v", c.Weight.Value.Shape, c.Weight.Decay, c.Bias.Decay)
	}
	if len(rect.Params()) != 1 || rect.Bias != nil {
		t.Errorf("conv without bias has params %d", len(rect.Params()))
	}
}

// TestConvPoolSteadyStateAllocs checks that repeated steps with the same
// batch shape allocate nothing in the layers. The cases with threads 0 run
// on the nil pool (everything on the caller); the _threads3 cases go
// through a 3-thread pool.
func TestConvPoolSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	cases := []struct {
		name    string
		layer   nn.Layer
		in      []int
		threads int
	}{
		{"conv3x3", randomConv(3, 8, 3, 3, 1, 1, true, 41), []int{4, 3, 8, 8}, 0},
		{"conv1x1", randomConv(3, 8, 1, 1, 1, 0, true, 42), []int{4, 3, 8, 8}, 0},
		{"conv5x5_stride2", randomConv(3, 8, 5, 5, 2, 2, false, 43), []int{4, 3, 9, 7}, 0},
		{"conv3x3_threads3", randomConv(3, 8, 3, 3, 1, 1, true, 44), []int{11, 3, 8, 8}, 3},
		{"conv1x1_threads3", randomConv(3, 8, 1, 1, 1, 0, true, 45), []int{11, 3, 8, 8}, 3},
		{"maxpool", nn.NewMaxPool2d(3, 2, 1), []int{4, 3, 8, 8}, 0},
		{"avgpool", nn.NewAvgPool2d(2, 0, 0), []int{4, 3, 8, 8}, 0},
		{"globalavg", &nn.GlobalAvgPool{}, []int{4, 3, 8, 8}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := &nn.Context{Train: true, Pool: testPool(t, tc.threads)}
			x := nntest.RandomInput(1, tc.in...)
			y := tc.layer.Forward(ctx, x)
			dy := nntest.RandomInput(2, y.Shape...)
			tc.layer.Backward(ctx, dy)
			allocs := testing.AllocsPerRun(10, func() {
				tc.layer.Forward(ctx, x)
				tc.layer.Backward(ctx, dy)
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per step, want 0", allocs)
			}
		})
	}
}

// TestConv2dThreadsBitIdentical checks that y, dx, dW and db do not depend
// on the number of threads in any bit, for batches that split unevenly over
// workers and gradient chunks, with gradients accumulating onto non-zero
// values over two steps.
func TestConv2dThreadsBitIdentical(t *testing.T) {
	rect := func(seed uint64) *nn.Conv2d {
		c := randomConv(3, 5, 3, 2, 1, 0, true, seed)
		c.StrideW, c.PadH = 2, 1
		return c
	}
	cases := []struct {
		name string
		conv func() *nn.Conv2d
		in   []int
	}{
		{"3x3_pad1_batch7", func() *nn.Conv2d { return randomConv(3, 6, 3, 3, 1, 1, true, 51) }, []int{7, 3, 9, 8}},
		{"3x3_stride2_no_bias_batch13", func() *nn.Conv2d { return randomConv(4, 5, 3, 3, 2, 1, false, 52) }, []int{13, 4, 11, 9}},
		{"1x1_batch7", func() *nn.Conv2d { return randomConv(6, 4, 1, 1, 1, 0, true, 53) }, []int{7, 6, 5, 7}},
		{"rect_batch7", func() *nn.Conv2d { return rect(54) }, []int{7, 3, 8, 7}},
		{"batch1", func() *nn.Conv2d { return randomConv(2, 3, 3, 3, 1, 1, true, 55) }, []int{1, 2, 6, 6}},
		{"grouped_7x7_batch37", func() *nn.Conv2d { return randomConv(4, 6, 3, 3, 1, 1, true, 56) }, []int{37, 4, 7, 7}},
		{"grouped_stride2_batch40", func() *nn.Conv2d { return randomConv(4, 6, 3, 3, 2, 1, true, 57) }, []int{40, 4, 20, 20}},
	}
	type result struct{ y, dx, dw, db []float32 }
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ref result
			for _, threads := range []int{1, 2, 3, 8} {
				ctx := &nn.Context{Train: true, Pool: testPool(t, threads)}
				c := tc.conv()
				for _, p := range c.Params() {
					for i := range p.Grad.Data {
						p.Grad.Data[i] = 0.01 * float32(i%7)
					}
				}
				var got result
				for step := range 2 {
					x := nntest.RandomInput(uint64(60+step), tc.in...)
					y := c.Forward(ctx, x)
					dy := nntest.RandomInput(uint64(70+step), y.Shape...)
					dx := c.Backward(ctx, dy)
					got.y, got.dx = slices.Clone(y.Data), slices.Clone(dx.Data)
				}
				got.dw = slices.Clone(c.Weight.Grad.Data)
				if c.Bias != nil {
					got.db = slices.Clone(c.Bias.Grad.Data)
				}
				if threads == 1 {
					ref = got
					continue
				}
				for _, f := range []struct {
					name      string
					got, want []float32
				}{{"y", got.y, ref.y}, {"dx", got.dx, ref.dx}, {"dW", got.dw, ref.dw}, {"db", got.db, ref.db}} {
					if len(f.got) != len(f.want) {
						t.Fatalf("threads %d: %d values of %s, want %d", threads, len(f.got), f.name, len(f.want))
					}
					for i := range f.got {
						if math.Float32bits(f.got[i]) != math.Float32bits(f.want[i]) {
							t.Fatalf("threads %d: %s[%d] = %v, want %v as with 1 thread", threads, f.name, i, f.got[i], f.want[i])
						}
					}
				}
			}
		})
	}
}

func BenchmarkConv2dForwardBackward(b *testing.B) {
	for _, bc := range []struct {
		name                    string
		n, inC, hw, out, stride int
	}{
		{"N128_C32_28x28_3x3p1_to32", 128, 32, 28, 32, 1},
		{"N128_C1_28x28_3x3p1_to32", 128, 1, 28, 32, 1},
		{"N128_C32_14x14_3x3p1_to64", 128, 32, 14, 64, 1},
		{"N128_C64_7x7_3x3p1_to64", 128, 64, 7, 64, 1},
		{"N128_C16_28x28_3x3p1s2_to32", 128, 16, 28, 32, 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := randomConv(bc.inC, bc.out, 3, 3, bc.stride, 1, true, 1)
			x := nntest.RandomInput(1, bc.n, bc.inC, bc.hw, bc.hw)
			ctx := &nn.Context{Train: true, Pool: testPool(b, runtime.GOMAXPROCS(0))}
			y := c.Forward(ctx, x)
			dy := nntest.RandomInput(2, y.Shape...)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.Forward(ctx, x)
				c.Backward(ctx, dy)
			}
		})
	}
}
