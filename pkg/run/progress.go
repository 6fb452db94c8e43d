package run

import (
	"fmt"
	"io"
	"time"

	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/schollz/progressbar/v3"
)

// progressHook draws a live progress bar per epoch: batches done, running
// loss and accuracy, speed in images/s and the time left in the epoch.
type progressHook struct {
	engine.BaseHook
	w       io.Writer
	bar     *progressbar.ProgressBar
	start   time.Time
	lossSum float64
	correct int
	seen    int
}

func (h *progressHook) EpochStart(t *engine.Trainer, epoch int) {
	h.bar = progressbar.NewOptions(t.BatchesPerEpoch(),
		progressbar.OptionSetWriter(h.w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch+1, t.Plan.Epochs)),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	h.start, h.lossSum, h.correct, h.seen = time.Now(), 0, 0, 0
}

func (h *progressHook) StepEnd(t *engine.Trainer, s engine.StepStats) {
	h.lossSum += s.Loss * float64(s.N)
	h.correct += s.Correct
	h.seen += s.N
	speed := float64(h.seen) / time.Since(h.start).Seconds()
	h.bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f acc %.4f %.0f img/s", s.Epoch+1, t.Plan.Epochs, h.lossSum/float64(h.seen), float64(h.correct)/float64(h.seen), speed))
	_ = h.bar.Set(s.Batch + 1) // a step may span several batches (train.accumulate); a resumed epoch starts late
}

func (h *progressHook) EpochEnd(*engine.Trainer, *engine.EpochMetrics) error {
	h.bar.Finish()
	h.bar.Clear()
	return nil
}
