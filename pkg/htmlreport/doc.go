// Package htmlreport renders a run folder, or a search folder, as one
// self-contained static HTML page (`nettrain report`): no network, no
// external files — the plots are inline SVG and images data URIs, the few
// lines of script only sort tables.
//
// A run's page shows the diagnosis of its curves (pkg/curves), the final
// metrics, the monitor's warnings, the loss/accuracy curves and the
// per-layer update ratios, the test confusion matrix as a heatmap with the
// per-class accuracy, the histograms of weights, gradients and activations
// (first and last epoch), the model summary, the resolved config and the
// metrics table. A search's page shows its leaderboard, search.png, the
// trials' curves overlaid, and the best trial's config.
//
// It reads what `nettrain train` and `nettrain search` wrote (metrics.csv,
// steps.csv, summary.json, histograms.json, config.yaml, checkpoints/
// best.ckpt; search.csv, search.yaml, best.yaml, search.png) and writes
// nothing but the page.
package htmlreport
