package tboard

import (
	"io"
	"testing"
	"time"
)

// TestScalarsDoNotAllocate: a training loop writes its step scalars every
// step, so Scalars reuses its buffers.
func TestScalarsDoNotAllocate(t *testing.T) {
	w := newWriter(io.Discard, "mem", func() time.Time { return time.Unix(1, 0) }, time.Unix(1, 0))
	vals := []TagValue{{"step/loss", 1.5}, {"step/acc", 0.5}, {"step/lr", 0.1}}
	_ = w.Scalars(1, vals) // grows the buffers once
	if n := testing.AllocsPerRun(100, func() { _ = w.Scalars(2, vals) }); n != 0 {
		t.Errorf("Scalars allocates %v times per call", n)
	}
}
