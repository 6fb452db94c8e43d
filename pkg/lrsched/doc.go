// Package lrsched holds learning-rate schedules as pure functions of the
// global step: the same step always gives the same rate, so resuming a run
// needs only the step counter and the schedule can be plotted before
// training.
package lrsched
