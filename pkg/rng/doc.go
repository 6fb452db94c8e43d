// Package rng derives independent, reproducible random streams from one
// experiment seed.
//
// nettrain has no global random state. Each consumer asks for its own stream,
// named by a Stream constant and zero or more indices (an epoch, a step, an
// example index), so the numbers one part draws never depend on how many
// another part drew: same config and seed, same bits.
package rng
