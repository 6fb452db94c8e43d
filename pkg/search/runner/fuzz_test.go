package runner

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadMetric: any metrics.csv reads to a count and a value or an
// error, never a panic.
func FuzzReadMetric(f *testing.F) {
	f.Add([]byte("epoch,val_acc\n1,0.5\n2,0.75\n"))
	f.Add([]byte("epoch,val_acc\n1,\n"))
	f.Add([]byte("val_acc\n\"1,2\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "metrics.csv")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		epochs, _, err := readMetric(path, "val_acc")
		if err == nil && epochs < 0 {
			t.Fatalf("%d epochs", epochs)
		}
	})
}

// FuzzLoadState: any search.json loads or is an error, never a panic.
func FuzzLoadState(f *testing.F) {
	f.Add([]byte(`{"version": 1, "stages": [{"index": 0, "trials": [{"id": 1, "values": ["0.1"], "status": "done"}]}]}`))
	f.Add([]byte(`{"version": 2}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), StateFile)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if st, err := loadState(path); err == nil {
			_ = st.trials()
		}
	})
}
