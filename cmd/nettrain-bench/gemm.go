package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// gemmShape is one timed matrix multiply C (M,N) = op(A) (M,K) · op(B)
// (K,N), row-major; TransA stores A as (K,M), TransB stores B as (N,K).
type gemmShape struct {
	M, N, K        int
	TransA, TransB bool
	Use            string // which layer computes it, for the table
}

// peakShape is the 512³ A·B multiply whose rate is the yardstick of
// model-FLOP utilization and of the other shapes.
var peakShape = gemmShape{M: 512, N: 512, K: 512, Use: "square reference"}

// gemmShapes are the bench models' hot matrix multiplies, each in the three
// variants A·B, Aᵀ·B and A·Bᵀ; Use names the one training runs.
var gemmShapes = allVariants([]gemmShape{
	peakShape,
	{M: 128, N: 512, K: 784, TransB: true, Use: "MLP fc1 forward x·Wᵀ"},
	{M: 512, N: 784, K: 128, TransA: true, Use: "MLP fc1 dW = dyᵀ·x"},
	{M: 128, N: 512, K: 256, Use: "MLP fc2 dx = dy·W (fc1 needs no dx)"},
	{M: 25088, N: 64, K: 288, Use: "conv 32→64 @14x14 as one batched im2col"},
	{M: 32, N: 784, K: 288, Use: "CNN conv 32→32 forward W·col, and its dx = W'·im2col(dy)"},
	{M: 288, N: 32, K: 784, TransB: true, Use: "CNN conv 32→32 dWᵀ = col·dyᵀ"},
})

// allVariants returns every shape as A·B, Aᵀ·B and A·Bᵀ, the variant
// training uses keeping its Use text and the others marked as variants.
func allVariants(shapes []gemmShape) []gemmShape {
	var out []gemmShape
	for _, s := range shapes {
		for _, v := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			t := s
			t.TransA, t.TransB = v[0], v[1]
			if t.TransA != s.TransA || t.TransB != s.TransB {
				t.Use = "(variant)"
			}
			out = append(out, t)
		}
	}
	return out
}

// variant is the name torch_bench.py uses: AB, AtB or ABt.
func (s gemmShape) variant() string {
	switch {
	case s.TransA && s.TransB:
		return "AtBt"
	case s.TransA:
		return "AtB"
	case s.TransB:
		return "ABt"
	}
	return "AB"
}

// variantLabel is the variant as the table shows it.
func (s gemmShape) variantLabel() string {
	a, b := "A", "B"
	if s.TransA {
		a = "Aᵀ"
	}
	if s.TransB {
		b = "Bᵀ"
	}
	return a + "·" + b
}

// dims is "MxNxK", torch_bench.py's spelling and the key matching its
// results to ours.
func (s gemmShape) dims() string { return fmt.Sprintf("%dx%dx%d", s.M, s.N, s.K) }

// key identifies a shape and variant.
func (s gemmShape) key() string { return s.dims() + ":" + s.variant() }

// flops is the floating-point operations of one multiply.
func (s gemmShape) flops() float64 { return 2 * float64(s.M) * float64(s.N) * float64(s.K) }

// shapeSpec is the --shapes argument of torch_bench.py --mode gemm.
func shapeSpec(shapes []gemmShape) string {
	keys := make([]string, len(shapes))
	for i, s := range shapes {
		keys[i] = s.key()
	}
	return strings.Join(keys, ",")
}

// gemmTiming says how long to time each shape: the best of Repeats runs,
// each at least MinTime long (as many calls as fit), after one warm-up call.
type gemmTiming struct {
	Repeats int
	MinTime time.Duration
}

var defaultGemmTiming = gemmTiming{Repeats: 5, MinTime: 100 * time.Millisecond}

// timeGemm returns (*tensor.Pool).Gemm's GFLOP/s on s (with beta 0), on the
// threads of pool.
func timeGemm(pool *tensor.Pool, s gemmShape, t gemmTiming) float64 {
	r := rand.New(rand.NewPCG(1, uint64(s.M*s.N+s.K)))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	a, b, c := fill(s.M*s.K), fill(s.K*s.N), make([]float32, s.M*s.N)
	lda, ldb := s.K, s.N
	if s.TransA {
		lda = s.M
	}
	if s.TransB {
		ldb = s.K
	}
	call := func() { pool.Gemm(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N) }
	call() // warm-up: first-touch of the buffers, any lazy setup of the kernel
	best := time.Duration(1<<63 - 1)
	for range max(t.Repeats, 1) {
		calls, start := 0, time.Now()
		var el time.Duration
		for {
			call()
			calls++
			if el = time.Since(start); el >= t.MinTime {
				break
			}
		}
		best = min(best, el/time.Duration(calls))
	}
	return s.flops() / best.Seconds() / 1e9
}
