package nn_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
)

func meanStd(w []float32) (mean, std float64) {
	var s, s2 float64
	for _, v := range w {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(w))
	mean = s / n
	return mean, math.Sqrt(s2/n - mean*mean)
}

func TestInitFormulas(t *testing.T) {
	linear := []int{300, 400}   // (out, in): fan_in 400, fan_out 300
	conv := []int{64, 32, 3, 3} // fan_in 288, fan_out 576
	const sqrt3 = 1.7320508075688772
	cases := []struct {
		name    string
		shape   []int
		opt     nn.InitOptions // FanIn/FanOut filled from shape
		wantStd func(fanIn, fanOut float64) float64
		tol     float64 // relative
	}{
		{"normal", linear, nn.InitOptions{Std: 0.02}, func(_, _ float64) float64 { return 0.02 }, 0.01},
		{"uniform", linear, nn.InitOptions{A: 0.3}, func(_, _ float64) float64 { return 0.3 / sqrt3 }, 0.01},
		{"uniform", linear, nn.InitOptions{}, func(_, _ float64) float64 { return nn.DefaultUniformA / sqrt3 }, 0.01},
		{"xavier_normal", linear, nn.InitOptions{}, func(i, o float64) float64 { return math.Sqrt(2 / (i + o)) }, 0.01},
		{"xavier_uniform", linear, nn.InitOptions{}, func(i, o float64) float64 { return math.Sqrt(6/(i+o)) / sqrt3 }, 0.01},
		// Xavier ignores Gain.
		{"xavier_normal", linear, nn.InitOptions{Gain: 3}, func(i, o float64) float64 { return math.Sqrt(2 / (i + o)) }, 0.01},
		{"kaiming_normal", linear, nn.InitOptions{Gain: math.Sqrt2}, func(i, _ float64) float64 { return math.Sqrt2 / math.Sqrt(i) }, 0.01},
		{"kaiming_normal", linear, nn.InitOptions{Gain: math.Sqrt2, Mode: "fan_in"}, func(i, _ float64) float64 { return math.Sqrt2 / math.Sqrt(i) }, 0.01},
		{"kaiming_normal", linear, nn.InitOptions{Gain: math.Sqrt2, Mode: "fan_out"}, func(_, o float64) float64 { return math.Sqrt2 / math.Sqrt(o) }, 0.01},
		{"kaiming_uniform", linear, nn.InitOptions{Gain: 5.0 / 3}, func(i, _ float64) float64 { return 5.0 / 3 * math.Sqrt(3/i) / sqrt3 }, 0.01},
		{"kaiming_uniform", linear, nn.InitOptions{Gain: 5.0 / 3, Mode: "fan_out"}, func(_, o float64) float64 { return 5.0 / 3 * math.Sqrt(3/o) / sqrt3 }, 0.01},
		{"kaiming_normal", linear, nn.InitOptions{}, func(i, _ float64) float64 { return 1 / math.Sqrt(i) }, 0.01}, // gain 0 → 1
		{"lecun_normal", linear, nn.InitOptions{}, func(i, _ float64) float64 { return 1 / math.Sqrt(i) }, 0.01},
		{"lecun_normal", linear, nn.InitOptions{Gain: 2, Mode: "fan_out"}, func(i, _ float64) float64 { return 1 / math.Sqrt(i) }, 0.01}, // ignores both
		{"lecun_uniform", linear, nn.InitOptions{}, func(i, _ float64) float64 { return math.Sqrt(3/i) / sqrt3 }, 0.01},
		// Conv-shaped weights: fans include the receptive field (3×3).
		{"xavier_normal", conv, nn.InitOptions{}, func(i, o float64) float64 { return math.Sqrt(2 / (i + o)) }, 0.02},
		{"xavier_uniform", conv, nn.InitOptions{}, func(i, o float64) float64 { return math.Sqrt(6/(i+o)) / sqrt3 }, 0.02},
		{"kaiming_normal", conv, nn.InitOptions{Gain: math.Sqrt2}, func(i, _ float64) float64 { return math.Sqrt2 / math.Sqrt(i) }, 0.02},
		{"kaiming_normal", conv, nn.InitOptions{Gain: math.Sqrt2, Mode: "fan_out"}, func(_, o float64) float64 { return math.Sqrt2 / math.Sqrt(o) }, 0.02},
		{"kaiming_uniform", conv, nn.InitOptions{Gain: math.Sqrt2, Mode: "fan_in"}, func(i, _ float64) float64 { return math.Sqrt2 * math.Sqrt(3/i) / sqrt3 }, 0.02},
		{"kaiming_uniform", conv, nn.InitOptions{Gain: math.Sqrt2, Mode: "fan_out"}, func(_, o float64) float64 { return math.Sqrt2 * math.Sqrt(3/o) / sqrt3 }, 0.02},
		{"lecun_normal", conv, nn.InitOptions{}, func(i, _ float64) float64 { return 1 / math.Sqrt(i) }, 0.02},
		{"lecun_uniform", conv, nn.InitOptions{}, func(i, _ float64) float64 { return math.Sqrt(3/i) / sqrt3 }, 0.02},
	}
	for k, tc := range cases {
		t.Run(tc.name+"/"+tc.opt.Mode, func(t *testing.T) {
			n := 1
			for _, d := range tc.shape {
				n *= d
			}
			o := tc.opt
			o.FanIn, o.FanOut = nn.Fans(tc.shape)
			w := make([]float32, n)
			if err := nn.Init(tc.name, w, o, rand.New(rand.NewPCG(uint64(k), 7))); err != nil {
				t.Fatal(err)
			}
			want := tc.wantStd(float64(o.FanIn), float64(o.FanOut))
			mean, std := meanStd(w)
			if math.Abs(std-want) > tc.tol*want || math.Abs(mean) > tc.tol*want {
				t.Fatalf("shape %v opts %+v: std %.6g mean %.3g, want std %.6g mean 0", tc.shape, o, std, mean, want)
			}
		})
	}
}

func TestInitUniformBounds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opt   nn.InitOptions
		bound float64
	}{
		{"uniform", nn.InitOptions{A: 0.3}, 0.3},
		{"uniform", nn.InitOptions{}, nn.DefaultUniformA},
		{"lecun_uniform", nn.InitOptions{FanIn: 400, FanOut: 300}, math.Sqrt(3.0 / 400)},
		{"kaiming_uniform", nn.InitOptions{FanIn: 400, FanOut: 300, Gain: 2, Mode: "fan_out"}, 2 * math.Sqrt(3.0/300)},
	} {
		w := make([]float32, 50000)
		if err := nn.Init(tc.name, w, tc.opt, rand.New(rand.NewPCG(3, 3))); err != nil {
			t.Fatal(err)
		}
		lo, hi := slices.Min(w), slices.Max(w)
		b := float32(tc.bound)
		if lo < -b || hi > b || lo > -0.99*b || hi < 0.99*b {
			t.Errorf("%s %+v: range [%g, %g], want ≈ [-%g, %g]", tc.name, tc.opt, lo, hi, b, b)
		}
	}
}

func TestInitConstantFillsExactly(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  nn.InitOptions
		want float32
	}{
		{"constant", nn.InitOptions{Value: 0.125}, 0.125},
		{"constant", nn.InitOptions{Value: -3}, -3},
		{"constant", nn.InitOptions{}, 0},
		{"ones", nn.InitOptions{}, 1},
		{"zeros", nn.InitOptions{}, 0},
	} {
		w := []float32{7, 7, 7, 7, 7}
		if err := nn.Init(tc.name, w, tc.opt, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		for i, v := range w {
			if v != tc.want {
				t.Fatalf("%s %+v: w[%d] = %g, want %g", tc.name, tc.opt, i, v, tc.want)
			}
		}
	}
}

func TestFans(t *testing.T) {
	for _, tc := range []struct {
		shape         []int
		fanIn, fanOut int
	}{
		{[]int{300, 400}, 400, 300},
		{[]int{10, 1}, 1, 10},
		{[]int{64, 32, 3, 3}, 32 * 9, 64 * 9},
		{[]int{16, 3, 5, 7}, 3 * 35, 16 * 35},
		{[]int{8, 4, 3}, 12, 24},
	} {
		in, out := nn.Fans(tc.shape)
		if in != tc.fanIn || out != tc.fanOut {
			t.Errorf("Fans(%v) = %d, %d; want %d, %d", tc.shape, in, out, tc.fanIn, tc.fanOut)
		}
	}
	for _, shape := range [][]int{nil, {5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Fans(%v) must panic", shape)
				}
			}()
			nn.Fans(shape)
		}()
	}
}

func TestInitNames(t *testing.T) {
	got := nn.InitNames()
	want := []string{"constant", "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones", "uniform", "xavier_normal", "xavier_uniform", "zeros"}
	if !slices.Equal(got, want) {
		t.Fatalf("InitNames() = %v, want %v", got, want)
	}
	err := nn.CheckInit("lecun")
	if err == nil || !strings.Contains(err.Error(), "known: "+strings.Join(want, ", ")) {
		t.Fatalf("CheckInit: %v", err)
	}
}

func TestInitValidate(t *testing.T) {
	ok := nn.InitOptions{FanIn: 4, FanOut: 3}
	for _, name := range nn.InitNames() {
		for _, mode := range []string{"", "fan_in", "fan_out"} {
			o := ok
			o.Mode = mode
			if err := o.Validate(name); err != nil {
				t.Errorf("%s mode %q: %v", name, mode, err)
			}
		}
	}
	if err := (nn.InitOptions{Value: -2}).Validate("constant"); err != nil {
		t.Errorf("negative constant must be allowed: %v", err)
	}
	if err := (nn.InitOptions{}).Validate("normal"); err != nil {
		t.Errorf("normal needs no fans: %v", err)
	}
	for _, tc := range []struct {
		name string
		opt  nn.InitOptions
		want string // substring of the error
	}{
		{"he_normal", ok, `unknown init "he_normal"; known: constant,`},
		{"kaiming_normal", nn.InitOptions{FanIn: 4, FanOut: 3, Mode: "fanin"}, `unknown mode "fanin"; allowed: fan_in, fan_out`},
		{"zeros", nn.InitOptions{Mode: "in"}, `allowed: fan_in, fan_out`},
		{"normal", nn.InitOptions{Std: -0.1}, "std must be >= 0"},
		{"uniform", nn.InitOptions{A: -1}, "a must be >= 0"},
		{"kaiming_uniform", nn.InitOptions{FanIn: 4, FanOut: 3, Gain: -1}, "gain must be >= 0"},
		{"normal", nn.InitOptions{Std: math.NaN()}, "std must be finite"},
		{"constant", nn.InitOptions{Value: math.Inf(1)}, "value must be finite"},
		{"xavier_normal", nn.InitOptions{FanIn: -1, FanOut: 3}, "fans must be >= 0"},
		{"xavier_uniform", nn.InitOptions{}, "fan_in + fan_out must be > 0"},
		{"lecun_normal", nn.InitOptions{FanOut: 3}, "fan_in must be > 0"},
		{"kaiming_normal", nn.InitOptions{FanOut: 3}, "fan_in must be > 0 with mode fan_in"},
		{"kaiming_normal", nn.InitOptions{FanIn: 4, Mode: "fan_out"}, "fan_out must be > 0 with mode fan_out"},
	} {
		err := tc.opt.Validate(tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) %+v = %v, want error containing %q", tc.name, tc.opt, err, tc.want)
		}
		// Init refuses what Validate rejects, leaving w alone.
		w := []float32{5}
		if err := nn.Init(tc.name, w, tc.opt, rand.New(rand.NewPCG(1, 1))); err == nil || w[0] != 5 {
			t.Errorf("Init(%q) %+v: err %v, w %v", tc.name, tc.opt, err, w)
		}
	}
}
