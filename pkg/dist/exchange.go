package dist

import (
	"fmt"
	"math"
)

// Exchange is an all-gather of one byte message per rank, of any length
// (empty for "nothing to say"): every rank calls it with its own message
// and gets every rank's, indexed by rank. It costs one all-reduce of the
// lengths and one broadcast per rank with a message, so a round in which
// only a few ranks speak is cheap. It suits small messages every rank
// sends at the same point (the control network's rendezvous), not bulk
// data.
func Exchange(c Comm, msg []byte) ([][]byte, error) {
	n := c.Size()
	lengths := make([]float64, n)
	lengths[c.Rank()] = float64(len(msg))
	if err := c.SumFloat64(lengths); err != nil {
		return nil, fmt.Errorf("exchanging message lengths: %w", err)
	}
	out := make([][]byte, n)
	for r, l := range lengths {
		size := int(l)
		if size == 0 {
			continue
		}
		if l != math.Trunc(l) || size < 0 {
			return nil, fmt.Errorf("exchange: rank %d announced a message of %v bytes", r, l)
		}
		// The bytes travel as float32 bit patterns, 4 to a word: a
		// broadcast copies them unchanged.
		words := make([]float32, (size+3)/4)
		if r == c.Rank() {
			packWords(words, msg)
		}
		if err := c.Broadcast(words, r); err != nil {
			return nil, fmt.Errorf("broadcasting rank %d's message: %w", r, err)
		}
		out[r] = unpackWords(words, size)
	}
	return out, nil
}

// packWords writes b into words, 4 bytes to a word (little-endian).
func packWords(words []float32, b []byte) {
	for i := range words {
		var u uint32
		for j := range 4 {
			if k := 4*i + j; k < len(b) {
				u |= uint32(b[k]) << (8 * j)
			}
		}
		words[i] = math.Float32frombits(u)
	}
}

// unpackWords is the first size bytes packWords wrote into words.
func unpackWords(words []float32, size int) []byte {
	b := make([]byte, size)
	for k := range b {
		b[k] = byte(math.Float32bits(words[k/4]) >> (8 * (k % 4)))
	}
	return b
}
