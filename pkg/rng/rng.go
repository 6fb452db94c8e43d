package rng

import "math/rand/v2"

// Stream names one consumer of randomness.
type Stream uint64

// The streams nettrain draws from. Values are part of the reproducibility
// contract: never renumber them.
const (
	Init    Stream = 1 // weight initialization
	Split   Stream = 2 // train/validation split
	Shuffle Stream = 3 // mini-batch order, indexed by epoch
	Augment Stream = 4 // data augmentation, indexed by epoch and example
	Dropout Stream = 5 // dropout masks, indexed by step
	Sample  Stream = 6 // sub-sampling (e.g. the sanity overfit sample)
	Search  Stream = 7 // a search's trials, indexed by stage and trial
)

// splitmix64 is a bijective 64-bit mixer (Steele et al.), used to turn
// (seed, stream, indices) into well-separated PCG seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// New returns the random stream for (seed, stream, indices...). Equal
// arguments give identical sequences; different arguments give independent
// ones.
func New(seed uint64, stream Stream, indices ...uint64) *rand.Rand {
	h := derive(seed, stream, indices)
	return rand.New(rand.NewPCG(h, splitmix64(h)))
}

// Reseed sets p to the start of the stream New(seed, stream, indices...)
// draws from, without allocating: hot paths keep one rand.Rand over p and
// reseed it per step.
func Reseed(p *rand.PCG, seed uint64, stream Stream, indices ...uint64) {
	h := derive(seed, stream, indices)
	p.Seed(h, splitmix64(h))
}

func derive(seed uint64, stream Stream, indices []uint64) uint64 {
	h := splitmix64(seed ^ splitmix64(uint64(stream)))
	for _, i := range indices {
		h = splitmix64(h ^ splitmix64(i+0x632be59bd9b4e019))
	}
	return h
}
