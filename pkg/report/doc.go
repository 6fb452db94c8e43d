// Package report holds what a practitioner looks at beside training rather
// than during it: the sanity checks to run first (initial loss ≈ ln C,
// overfitting a small sample, at the run's scaled base rate), the init
// diagnostics (per-layer activation statistics and the warnings they
// raise), the learning-rate range test and the check of fixed rates
// (LRFind: a suggested rate, CSV and plot), and the previews of a config's
// learning-rate schedule (CSV and plot) and augmentation pipeline (image
// grid). It drives the engine's Plan and Trainer on throw-away models and
// never writes a run folder.
package report
