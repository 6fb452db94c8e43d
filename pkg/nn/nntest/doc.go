// Package nntest is the shared gradient-check suite for nettrain layers: one
// helper compares a layer's analytic Backward with central finite
// differences, for its input and for every parameter, so each layer's test
// is one call.
package nntest
