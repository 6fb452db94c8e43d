package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// modelRow is one model trained at one batch size; a zero speed was not
// measured.
type modelRow struct {
	name       string
	batch      int
	flops      int64              // training FLOPs per image in the matrix multiplies (model.TrainingFLOPs)
	inferFlops int64              // forward FLOPs per image in the matrix multiplies (model.InferenceFLOPs)
	nettrain   float64            // training images per second
	torch      map[string]float64 // PyTorch's training images per second by OpenMP wait policy (ompWaitPolicies)
	infer      float64            // nettrain's inference images per second
	torchInfer map[string]float64 // PyTorch's eval-mode no_grad images per second by wait policy
	// trials and torchTrials are the summed training images per second of
	// one one-thread trial per thread, run at once (batch trialsBatch only).
	trials, torchTrials float64
}

// bestTorch returns PyTorch's best training images per second over the
// wait policies, 0 if it was not measured.
func (m modelRow) bestTorch() float64 { return best(m.torch) }

// bestTorchInfer is bestTorch for inference.
func (m modelRow) bestTorchInfer() float64 { return best(m.torchInfer) }

// best is the largest value of v, 0 for none.
func best(v map[string]float64) float64 {
	b := 0.0
	for _, x := range v {
		b = max(b, x)
	}
	return b
}

// gemmRow is one timed GEMM shape; a zero speed was not measured.
type gemmRow struct {
	shape          gemmShape
	nettrain, blas float64 // GFLOP/s
}

// report is everything one run measured.
type report struct {
	images, threads int
	rgbImages       int     // synthetic RGB images per RGB model
	rounds          int     // training rounds; the speeds are each framework's best
	peak            float64 // nettrain's 512³ GEMM GFLOP/s, timed beside the training: the MFU yardstick
	goVersion       string
	py              *pyInfo // nil with --skip-torch
	models          []modelRow
	gemms           []gemmRow
	gemmBLAS        string // the BLAS numpy's GEMM ran on ("openblas", "reference", …)
	gemmArch        string // its kernel (OpenBLAS core name), if known
	notes           []string
}

// peakRate is the MFU yardstick: nettrain's fastest 512³ A·B in GFLOP/s,
// timed beside the training or in the GEMM table; 0 if neither ran.
func (r *report) peakRate() float64 {
	p := r.peak
	for _, g := range r.gemms {
		if g.shape == peakShape {
			p = max(p, g.nettrain)
		}
	}
	return p
}

// mfu formats the model-FLOP utilization of a speed in images per second,
// "-" when either it or the yardstick is missing.
func (r *report) mfu(flops int64, imagesPerSecond float64) string {
	return ratio(100*float64(flops)*imagesPerSecond/1e9, r.peakRate(), "%.0f%%")
}

// trainImages is how many images model m trains on per round.
func (r *report) trainImages(m string) int {
	if isRGB(m) {
		return r.rgbImages
	}
	return r.images
}

// blasName is the column name of numpy's BLAS: "OpenBLAS" when numpy runs on
// it (the intended baseline), else what it does run on.
func (r *report) blasName() string {
	kind := r.gemmBLAS
	if kind == "" && r.py != nil {
		kind = r.py.BLAS.Kind
	}
	switch kind {
	case "openblas":
		return "OpenBLAS"
	case "mkl":
		return "MKL"
	case "blis":
		return "BLIS"
	case "reference":
		return "ref-BLAS"
	case "":
		return "numpy"
	}
	return "numpy-" + kind
}

// hasTrials reports whether the search-throughput comparison ran.
func (r *report) hasTrials() bool {
	for _, m := range r.models {
		if m.trials > 0 || m.torchTrials > 0 {
			return true
		}
	}
	return false
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "nettrain-bench: %d training images per Fashion-MNIST model, %d synthetic RGB 32x32 ones per RGB model, %d threads; nettrain on %s", r.images, r.rgbImages, r.threads, r.goVersion)
	if r.py != nil {
		fmt.Fprintf(w, "; PyTorch %s, numpy %s", deref(r.py.Torch), deref(r.py.Numpy))
		if b := r.py.BLAS; b.Library != "" {
			fmt.Fprintf(w, " on %s (%s", b.Kind, b.Library)
			if r.gemmArch != "" {
				fmt.Fprintf(w, ", kernel %s", r.gemmArch)
			}
			fmt.Fprint(w, ")")
		}
	}
	fmt.Fprintln(w)
	if r.py != nil && r.py.BLAS.Kind != "openblas" && r.py.BLAS.Kind != "" && r.py.BLAS.Kind != "unknown" {
		fmt.Fprintf(w, "warning: numpy and PyTorch's linear layers run on the %s BLAS, not OpenBLAS: `apt-get install libopenblas0-pthread` for the intended baseline\n", r.py.BLAS.Kind)
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(r.models) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		// Right-aligned numbers; names padded so they read left-aligned.
		fmt.Fprintln(tw, "model         \tbatch\ttrain MFLOP/img\tnettrain img/s\tPyTorch img/s (passive)\tPyTorch img/s (OpenMP default)\tnettrain/best PyTorch\tnettrain/PyTorch default\tnettrain MFU\tbest PyTorch MFU\t")
		for _, m := range r.models {
			fmt.Fprintf(tw, "%-14s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.name, m.batch, num(float64(m.flops)/1e6, 2), num(m.nettrain, 0), num(m.torch["passive"], 0),
				num(m.torch["default"], 0), ratio(m.nettrain, m.bestTorch(), "%.2f"), ratio(m.nettrain, m.torch["default"], "%.2f"),
				r.mfu(m.flops, m.nettrain), r.mfu(m.flops, m.bestTorch()))
		}
		tw.Flush()
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "inference     \tbatch\tforward MFLOP/img\tnettrain img/s\tPyTorch no_grad img/s (best)\tnettrain/PyTorch\tnettrain MFU\tPyTorch MFU\t")
		for _, m := range r.models {
			fmt.Fprintf(tw, "%-14s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.name, m.batch, num(float64(m.inferFlops)/1e6, 2), num(m.infer, 0), num(m.bestTorchInfer(), 0),
				ratio(m.infer, m.bestTorchInfer(), "%.2f"), r.mfu(m.inferFlops, m.infer), r.mfu(m.inferFlops, m.bestTorchInfer()))
		}
		tw.Flush()
		if r.hasTrials() {
			fmt.Fprintln(w)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			t := r.threads
			fmt.Fprintf(tw, "search        \tnettrain 1 trial × %d threads\tnettrain %d trials × 1 thread\tgain\tPyTorch 1 × %d (best)\tPyTorch %d × 1 (passive)\tgain\tnettrain/PyTorch, %d × 1\t\n", t, t, t, t, t)
			for _, m := range r.models {
				if m.batch != trialsBatch {
					continue
				}
				fmt.Fprintf(tw, "%-14s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.name, num(m.nettrain, 0), num(m.trials, 0), ratio(m.trials, m.nettrain, "%.2f"),
					num(m.bestTorch(), 0), num(m.torchTrials, 0), ratio(m.torchTrials, m.bestTorch(), "%.2f"), ratio(m.trials, m.torchTrials, "%.2f"))
			}
			tw.Flush()
			fmt.Fprintf(w, "Search throughput: the training images per second of %d trials of batch %d running at once on one thread each, summed, against one trial on all %d threads.\n", r.threads, trialsBatch, r.threads)
		}
		if p := r.peakRate(); p > 0 {
			fmt.Fprintf(w, "MFU (model-FLOP utilization): FLOPs per image in the matrix multiplies (training: forward, weight gradients, the input gradients computed; inference: forward) × images/s ÷ nettrain's 512³ GEMM rate in this run, %.1f GFLOP/s on %d threads.\n", p, r.threads)
		}
		if r.py != nil {
			fmt.Fprintln(w, "PyTorch trains with OMP_WAIT_POLICY=PASSIVE and with the OpenMP default (as installed); the first ratio is against the faster.")
		}
		if r.rounds > 1 {
			fmt.Fprintf(w, "Best of %d rounds, nettrain and PyTorch taking turns.\n", r.rounds)
		}
	}
	if len(r.gemms) > 0 {
		fmt.Fprintln(w)
		b := r.blasName()
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "GEMM M×N×K\tvariant\tnettrain GFLOP/s\t%% of 512³\t%s GFLOP/s\t%% of %s\tused by\n", b, b)
		for _, g := range r.gemms {
			s := g.shape
			fmt.Fprintf(tw, "%d×%d×%d\t%s\t%8s\t%6s\t%8s\t%6s\t%s\n", s.M, s.N, s.K, s.variantLabel(), num(g.nettrain, 1),
				ratio(100*g.nettrain, r.peakRate(), "%.0f%%"), num(g.blas, 1), ratio(100*g.nettrain, g.blas, "%.0f%%"), s.Use)
		}
		tw.Flush()
	}
}

// num formats a measured value, "-" when not measured.
func num(v float64, decimals int) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.*f", decimals, v)
}

// ratio formats a/b, "-" when either is not measured.
func ratio(a, b float64, format string) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return strings.TrimSpace(fmt.Sprintf(format, a/b))
}

func deref(s *string) string {
	if s == nil {
		return "?"
	}
	return *s
}
