package dist_test

import (
	"math"
	"slices"
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
