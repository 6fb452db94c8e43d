package dist_test

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nettrain/nettrain/pkg/dist"
)

// onRanks runs f on every member of comms at once and waits.
func onRanks(comms []dist.Comm, f func(c dist.Comm)) {
	var wg sync.WaitGroup
	for _, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(c)
		}()
	}
	wg.Wait()
}

func TestGroupCollectives(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		comms := dist.NewGroup(n)
		got32 := make([][]float32, n)
		got64 := make([][]float64, n)
		maxes := make([][]float64, n)
		bcast := make([][]float32, n)
		gathered := make([][]uint64, n)
		empty := make([]error, n)
		onRanks(comms, func(c dist.Comm) {
			r := c.Rank()
			// Two sums in flight at once, then the blocking calls.
			a := []float32{float32(r), 1, -2 * float32(r)}
			b := []float32{10}
			pa, pb := c.StartSumFloat32(a), c.StartSumFloat32(b)
			if err := pa.Wait(); err != nil {
				t.Error(err)
			}
			if err := pb.Wait(); err != nil {
				t.Error(err)
			}
			got32[r] = append(a, b...)
			x := []float64{float64(r) + 0.5}
			_ = c.SumFloat64(x)
			got64[r] = x
			m := []float64{float64(r), -float64(r)}
			_ = c.MaxFloat64(m)
			maxes[r] = m
			v := []float32{float32(r + 7), float32(r)}
			_ = c.Broadcast(v, n-1)
			bcast[r] = v
			gathered[r], _ = c.GatherUint64(math.MaxUint64 - uint64(r))
			empty[r] = c.SumFloat32(nil)
			_ = c.Close()
		})
		s := float64(n*(n-1)) / 2
		for r := range n {
			if want := []float32{float32(s), float32(n), float32(-2 * s), float32(10 * n)}; !slices.Equal(got32[r], want) {
				t.Errorf("n=%d rank %d: float32 sums %v, want %v", n, r, got32[r], want)
			}
			if want := s + 0.5*float64(n); got64[r][0] != want {
				t.Errorf("n=%d rank %d: float64 sum %v, want %v", n, r, got64[r][0], want)
			}
			if want := []float64{float64(n - 1), 0}; !slices.Equal(maxes[r], want) {
				t.Errorf("n=%d rank %d: max %v, want %v", n, r, maxes[r], want)
			}
			if want := []float32{float32(n - 1 + 7), float32(n - 1)}; !slices.Equal(bcast[r], want) {
				t.Errorf("n=%d rank %d: broadcast %v, want %v", n, r, bcast[r], want)
			}
			for q, v := range gathered[r] {
				if v != math.MaxUint64-uint64(q) {
					t.Errorf("n=%d rank %d: gathered[%d] = %x", n, r, q, v)
				}
			}
			if empty[r] != nil {
				t.Errorf("n=%d: empty sum: %v", n, empty[r])
			}
		}
	}
}

func TestLocalIsIdentity(t *testing.T) {
	var c dist.Comm = dist.Local{}
	x := []float32{1, 2}
	if err := c.StartSumFloat32(x).Wait(); err != nil || !slices.Equal(x, []float32{1, 2}) || c.Size() != 1 || c.Rank() != 0 {
		t.Fatalf("Local changed its input: %v %v", x, err)
	}
	g, _ := c.GatherUint64(42)
	if !slices.Equal(g, []uint64{42}) {
		t.Fatalf("Local gather %v", g)
	}
}

// TestOpenRefusesMPIJobWithoutMPI: a default build started by mpirun with
// two processes must not train two unrelated models.
func TestOpenRefusesMPIJobWithoutMPI(t *testing.T) {
	if dist.Built {
		t.Skip("built with MPI")
	}
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	if _, err := dist.Open(); err == nil {
		t.Fatal("Open in a 2-process job of a build without MPI returned no error")
	}
	t.Setenv("OMPI_COMM_WORLD_SIZE", "1")
	if c, err := dist.Open(); err != nil || c.Size() != 1 {
		t.Fatalf("Open in a 1-process job: %v, %v", c, err)
	}
}

// TestExchange: every rank gets every rank's message, of any length
// (empty ones included), byte for byte, also bytes that make float32 NaN
// patterns; Local returns its own message.
func TestExchange(t *testing.T) {
	msgFor := func(r, round int) []byte {
		switch {
		case r == 1 && round == 0:
			return nil // a rank with nothing to say
		case r == 0 && round == 1:
			return []byte{0x01, 0x00, 0x80, 0xff, 0xff, 0xff, 0xbf, 0x7f, 0x55} // sNaN and qNaN words, then a tail
		}
		return []byte(strings.Repeat(fmt.Sprintf("rank %d round %d;", r, round), r+round+1))
	}
	for _, n := range []int{1, 2, 3} {
		comms := dist.NewGroup(n)
		got := make([][][][]byte, n)
		errs := make([]error, n)
		onRanks(comms, func(c dist.Comm) {
			defer c.Close()
			for round := range 2 {
				msgs, err := dist.Exchange(c, msgFor(c.Rank(), round))
				if err != nil {
					errs[c.Rank()] = err
					return
				}
				got[c.Rank()] = append(got[c.Rank()], msgs)
			}
		})
		for r := range n {
			if errs[r] != nil {
				t.Fatalf("%d ranks, rank %d: %v", n, r, errs[r])
			}
			for round, msgs := range got[r] {
				for from, m := range msgs {
					if want := msgFor(from, round); !bytes.Equal(m, want) {
						t.Fatalf("%d ranks, round %d: rank %d got %q from rank %d, want %q", n, round, r, m, from, want)
					}
				}
			}
		}
	}
	msgs, err := dist.Exchange(dist.Local{}, []byte("alone"))
	if err != nil || len(msgs) != 1 || string(msgs[0]) != "alone" {
		t.Fatalf("Local: %q %v", msgs, err)
	}
}

// TestWithoutLauncher drops the launcher's variables and keeps the rest.
func TestWithoutLauncher(t *testing.T) {
	env := []string{"PATH=/bin", "OMPI_COMM_WORLD_SIZE=2", "PMIX_RANK=1", "PMI_SIZE=2", "OPAL_PREFIX=/usr", "MPI_LOCALNRANKS=2", "HOME=/root", "OMPIX=1", "CI=true"}
	got := dist.WithoutLauncher(env)
	want := []string{"PATH=/bin", "HOME=/root", "OMPIX=1", "CI=true"}
	if !slices.Equal(got, want) {
		t.Fatalf("WithoutLauncher = %q, want %q", got, want)
	}
}
