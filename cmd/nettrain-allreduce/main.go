// Command nettrain-allreduce measures the all-reduce that data-parallel
// training runs after every backward pass, and projects from it how a
// model's training scales over many nodes (README, "Distributed training").
// Run it under MPI with the MPI build:
//
//	go build -tags mpi -o bin/nettrain-allreduce ./cmd/nettrain-allreduce
//	mpirun -np 2 bin/nettrain-allreduce [--max-mib 64] [--model NAME:PARAMS:STEP_MS ...]
//
// It times dist.Comm.SumFloat32 (nettrain's own path through MPI, the
// copies into its buffers included) from 1 float to --max-mib MiB, the
// best of several rounds per size, and fits t(bytes) = α + bytes/β.
// Each --model (parameter count, one node's compute time of a training
// step as measured by nettrain train or make bench, and the share of the
// gradient in the last bucket, which the run's data-parallel line counts)
// then gets a projected efficiency for 2–64 nodes on 10, 25 and 100 Gb/s
// networks: the ring all-reduce of its gradient, 2(N−1) latencies and
// 2(N−1)/N of the bytes over the link, of which the part that fits under
// the backward pass (two thirds of the step: buckets start as soon as
// their layers' gradients are done) is hidden, except the last bucket's.
//
// Exit status: 0 success, 1 a collective failed, 2 bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nettrain/nettrain/pkg/dist"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// modelFlag is a repeatable --model NAME:PARAMS:STEP_MS[:LAST_SHARE].
type modelFlag []stepModel

func (m *modelFlag) String() string { return fmt.Sprint(len(*m), " models") }

func (m *modelFlag) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) != 3 && len(parts) != 4 {
		return fmt.Errorf("want NAME:PARAMS:STEP_MS[:LAST_SHARE], got %q", v)
	}
	last := 0.0
	if len(parts) == 4 {
		var err error
		if last, err = strconv.ParseFloat(parts[3], 64); err != nil || !(last >= 0 && last <= 1) {
			return fmt.Errorf("LAST_SHARE of %q: want a fraction in [0, 1]", v)
		}
	}
	params, err := strconv.Atoi(parts[1])
	if err != nil || params <= 0 {
		return fmt.Errorf("PARAMS of %q: want a positive integer", v)
	}
	ms, err := strconv.ParseFloat(parts[2], 64)
	if err != nil || !(ms > 0) {
		return fmt.Errorf("STEP_MS of %q: want a positive number", v)
	}
	*m = append(*m, stepModel{Name: parts[0], Params: params, StepSeconds: ms / 1000, LastShare: last})
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("nettrain-allreduce", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxMiB := fs.Float64("max-mib", 64, "largest message, MiB")
	rounds := fs.Int("rounds", 5, "timed rounds per size; the best is kept")
	var models modelFlag
	fs.Var(&models, "model", "NAME:PARAMS:STEP_MS[:LAST_SHARE], a model to project (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if !(*maxMiB > 0) || *rounds < 1 {
		fmt.Fprintln(stderr, "nettrain-allreduce: --max-mib must be > 0 and --rounds >= 1")
		return 2
	}
	comm, err := dist.Open()
	if err != nil {
		fmt.Fprintln(stderr, "nettrain-allreduce:", err)
		return 2
	}
	defer comm.Close()
	if comm.Size() < 2 {
		fmt.Fprintln(stderr, "nettrain-allreduce: one rank: run it under mpirun -np 2 (or more), built with -tags mpi")
		return 2
	}
	points, err := measure(comm, int(*maxMiB*(1<<20)/4), *rounds)
	if err != nil {
		fmt.Fprintln(stderr, "nettrain-allreduce:", err)
		return 1
	}
	if comm.Rank() != 0 {
		return 0
	}
	fmt.Fprintf(stdout, "all-reduce (sum of float32) on %d ranks, best of %d rounds\n", comm.Size(), *rounds)
	fmt.Fprintf(stdout, "%12s %12s %10s\n", "bytes", "time", "GB/s")
	for _, p := range points {
		fmt.Fprintf(stdout, "%12d %12s %10.2f\n", p.Bytes, fmtSeconds(p.Seconds), float64(p.Bytes)/p.Seconds/1e9)
	}
	alpha, beta := fit(points)
	fmt.Fprintf(stdout, "fit t = α + bytes/β: α = %s, β = %.2f GB/s\n", fmtSeconds(alpha), beta/1e9)
	for _, m := range models {
		fmt.Fprintln(stdout)
		writeProjection(stdout, m, alpha)
	}
	return 0
}

// point is one message size's best all-reduce time.
type point struct {
	Bytes   int
	Seconds float64
}

// measure times SumFloat32 on message sizes 1, 4, 16, … floats up to
// maxFloats, each as the best over rounds of a batch of calls long enough
// to time (all ranks agree on the time: the maximum over them).
func measure(comm dist.Comm, maxFloats, rounds int) ([]point, error) {
	var points []point
	buf := make([]float32, maxFloats)
	for n := 1; n <= maxFloats; n *= 4 {
		x := buf[:n]
		if err := comm.SumFloat32(x); err != nil { // warm up
			return nil, err
		}
		// Calls per round: about 50 ms of them, agreed on by all ranks.
		start := time.Now()
		if err := comm.SumFloat32(x); err != nil {
			return nil, err
		}
		guess := []float64{time.Since(start).Seconds()}
		if err := comm.MaxFloat64(guess); err != nil {
			return nil, err
		}
		calls := max(1, min(10000, int(0.05/max(guess[0], 1e-7))))
		best := math.Inf(1)
		for range rounds {
			start := time.Now()
			for range calls {
				if err := comm.SumFloat32(x); err != nil {
					return nil, err
				}
			}
			took := []float64{time.Since(start).Seconds() / float64(calls)}
			if err := comm.MaxFloat64(took); err != nil {
				return nil, err
			}
			best = math.Min(best, took[0])
		}
		points = append(points, point{Bytes: 4 * n, Seconds: best})
	}
	return points, nil
}

// fit is the least-squares line t = α + bytes/β through the points,
// weighted by 1/t² (relative error), so the small messages set α and the
// large ones β.
func fit(points []point) (alpha, beta float64) {
	var sw, sx, sy, sxx, sxy float64
	for _, p := range points {
		w := 1 / (p.Seconds * p.Seconds)
		x, y := float64(p.Bytes), p.Seconds
		sw += w
		sx += w * x
		sy += w * y
		sxx += w * x * x
		sxy += w * x * y
	}
	slope := (sw*sxy - sx*sy) / (sw*sxx - sx*sx)
	alpha = (sy - slope*sx) / sw
	return math.Max(alpha, 0), 1 / slope
}

// fmtSeconds prints a duration in µs or ms.
func fmtSeconds(s float64) string {
	if s < 1e-3 {
		return fmt.Sprintf("%.1f µs", s*1e6)
	}
	return fmt.Sprintf("%.2f ms", s*1e3)
}

// stepModel is a model to project: its parameter count, one node's
// compute time for a training step (forward and backward, no
// communication), and the share of its gradient in the last bucket to be
// ready, which no overlap can hide (the bucket holding the first layers,
// whose gradients the backward pass computes last).
type stepModel struct {
	Name        string
	Params      int
	StepSeconds float64
	LastShare   float64
}

// backwardShare is the part of a step that the gradient all-reduce can
// hide under: the backward pass, about two thirds of the compute (two
// GEMMs per layer against the forward's one).
const backwardShare = 2.0 / 3

// efficiency is the projected fraction of time a node computes in a
// synchronous data-parallel step of m on nodes nodes, with latency alpha
// per message and link bandwidth bits/s, using the ring all-reduce (each
// node sends and receives 2(N−1)/N of the gradient, in 2(N−1) messages).
// Communication under the backward pass is hidden, except the last
// bucket's, which starts when the backward pass ends; the rest adds to
// the step.
func efficiency(m stepModel, nodes int, alpha, bitsPerSecond float64) float64 {
	comm := ringSeconds(m.Params, nodes, alpha, bitsPerSecond)
	exposed := math.Max(comm-backwardShare*m.StepSeconds, m.LastShare*comm)
	return m.StepSeconds / (m.StepSeconds + exposed)
}

// ringSeconds is the time of a ring all-reduce of params float32s over
// nodes nodes: 2(N−1) steps, each a message of 1/N of the data.
func ringSeconds(params, nodes int, alpha, bitsPerSecond float64) float64 {
	n := float64(nodes)
	return 2*(n-1)*alpha + 2*(n-1)/n*4*float64(params)*8/bitsPerSecond
}

// networkLatency is the per-message latency assumed for a cluster
// network, on top of the measured software latency: a typical MPI
// point-to-point latency over TCP on Ethernet.
const networkLatency = 20e-6

// writeProjection prints m's compute/communication ratio and its projected
// efficiency at 2–64 nodes on 10, 25 and 100 Gb/s.
func writeProjection(w io.Writer, m stepModel, softwareAlpha float64) {
	alpha := softwareAlpha + networkLatency
	bytes := 4 * float64(m.Params)
	fmt.Fprintf(w, "%s: %d parameters (%.2f MB of gradient, %.0f%% in the last bucket), step %s on one node; latency %s per message\n",
		m.Name, m.Params, bytes/1e6, 100*m.LastShare, fmtSeconds(m.StepSeconds), fmtSeconds(alpha))
	nets := []float64{10e9, 25e9, 100e9}
	fmt.Fprintf(w, "%8s", "nodes")
	for _, b := range nets {
		fmt.Fprintf(w, "  %4.0f Gb/s (compute:comm)", b/1e9)
	}
	fmt.Fprintln(w)
	for _, nodes := range []int{2, 4, 8, 16, 32, 64} {
		fmt.Fprintf(w, "%8d", nodes)
		for _, b := range nets {
			comm := ringSeconds(m.Params, nodes, alpha, b)
			fmt.Fprintf(w, "  %6.1f%% (%7.1f)        ", 100*efficiency(m, nodes, alpha, b), m.StepSeconds/comm)
		}
		fmt.Fprintln(w)
	}
}
