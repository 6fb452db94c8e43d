// Package curves reads the learning curves of nettrain run folders
// (metrics.csv, one row per epoch; steps.csv, one row per optimizer step,
// with the update ratios of the monitor), diagnoses them with stated
// rules (Diagnose: diverged, overfitting, underfitting, flat start,
// spikes, noise, still improving, or healthy; each verdict with the
// numbers that triggered it and what to try) and draws them (Plot: loss,
// accuracy and update-ratio panels, several runs overlaid, as PNG or
// SVG). A search folder reads as its trials (LoadAll).
//
// Parsing is strict: a malformed row is an error naming the file, line
// and column (ParseError); columns the reader does not know are kept by
// name, so Plot can draw them.
package curves
