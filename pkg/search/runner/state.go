package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/search"
)

// stateVersion is the version of search.json.
const stateVersion = 1

// Trial statuses.
const (
	StatusPending  = "pending"  // not started
	StatusRunning  = "running"  // a job is training it (or was, when the search stopped)
	StatusPaused   = "paused"   // at an ASHA rung, waiting for a promotion
	StatusStopped  = "stopped"  // left at its rung: ASHA did not promote it
	StatusDone     = "done"     // trained its whole budget
	StatusDiverged = "diverged" // stopped by a non-finite or too-large loss
	StatusFailed   = "failed"   // its process failed (see its log)
)

// State is a search's whole state, saved to search.json after every
// change so that --resume continues exactly: the stages and their spaces,
// every trial, and the ASHA rungs and promotions.
type State struct {
	Version int `json:"version"`
	// ConfigHash is the hash of search.yaml, the resolved config the
	// search started from.
	ConfigHash string        `json:"config_sha256"`
	Stages     []*StageState `json:"stages"`
}

// StageState is one stage: its space (narrowed after the first), its
// budget, its trials and its scheduler.
type StageState struct {
	Index  int            `json:"index"`
	Epochs int            `json:"epochs"`
	Space  []search.Param `json:"space"`
	Trials []*Trial       `json:"trials"`
	ASHA   *search.ASHA   `json:"asha,omitempty"`
	Done   bool           `json:"done"`
}

// Trial is one configuration of a search and how far it got.
type Trial struct {
	ID     int          `json:"id"` // 1-based, across stages
	Stage  int          `json:"stage"`
	Values search.Point `json:"values"`
	Status string       `json:"status"`
	// Epochs is the number of epochs trained; Target the epoch the running
	// (or next) job trains to.
	Epochs int `json:"epochs"`
	Target int `json:"target"`
	// Metric is the search metric at the last epoch trained; HasMetric is
	// false before the first epoch and for a trial that diverged or failed.
	Metric    float64 `json:"metric"`
	HasMetric bool    `json:"has_metric"`
	Seconds   float64 `json:"seconds"` // wall time of its jobs
	Error     string  `json:"error,omitempty"`
	// Reruns counts the jobs of the trial that were lost (their process
	// killed from outside) and rerun from its last checkpoint.
	Reruns int `json:"reruns,omitempty"`
}

// value is the trial's metric, NaN when it has none.
func (t *Trial) value() float64 {
	if !t.HasMetric {
		return math.NaN()
	}
	return t.Metric
}

// finished reports whether the trial will not train again.
func (t *Trial) finished() bool {
	switch t.Status {
	case StatusStopped, StatusDone, StatusDiverged, StatusFailed:
		return true
	}
	return false
}

// save writes the state atomically.
func (s *State) save(path string) error {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return fmt.Errorf("search state: %w", err)
	}
	return checkpoint.WriteFileAtomic(path, append(b, '\n'))
}

// loadState reads search.json; a missing file is fs.ErrNotExist.
func loadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("search state %s: %w", path, err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("search state %s: not a search.json of nettrain (%v)", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("search state %s: version %d, this nettrain reads version %d", path, s.Version, stateVersion)
	}
	for i, st := range s.Stages {
		if st == nil || st.Index != i || slices.Contains(st.Trials, nil) {
			return nil, fmt.Errorf("search state %s: stage %d is malformed: the file was not written by nettrain search", path, i+1)
		}
		ids := map[int]bool{}
		for _, t := range st.Trials {
			if len(t.Values) != len(st.Space) {
				return nil, fmt.Errorf("search state %s: trial %d has %d values for %d searched keys", path, t.ID, len(t.Values), len(st.Space))
			}
			ids[t.ID] = true
		}
		if a := st.ASHA; a != nil {
			ok := a.Eta >= 2 && len(a.Rungs) > 0
			for _, r := range a.Rungs {
				for _, res := range r.Results {
					ok = ok && ids[res.Trial]
				}
			}
			if !ok {
				return nil, fmt.Errorf("search state %s: stage %d's scheduler state is malformed", path, i+1)
			}
		}
	}
	return &s, nil
}

// trials returns every trial of every stage, in id order.
func (s *State) trials() []*Trial {
	var all []*Trial
	for _, st := range s.Stages {
		all = append(all, st.Trials...)
	}
	return all
}
