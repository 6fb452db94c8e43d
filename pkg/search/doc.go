// Package search is the hyperparameter search's logic, free of I/O: the
// config's "search" section ([Spec], its defaults and checks), the space's
// points ([Grid], [Sample] with one random stream per trial, [Narrow] for
// a finer stage around the best trials) and asynchronous successive
// halving ([ASHA]), whose exported fields are its whole state.
//
// A searched value is the YAML text of a scalar ([spec.Scalar]): a trial's
// config is the searched config with `--set key=TEXT` applied, so each
// value is checked by the key it sets, once, by the config package.
//
// The search that runs trials as processes and keeps the search folder is
// package runner below it.
package search
