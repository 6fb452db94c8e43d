package checkpoint

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// WriteAtomic creates or replaces the file at path with what write writes,
// creating parent directories as needed. It writes a temporary file in the
// same directory, fsyncs it, renames it over path and fsyncs the directory,
// so a crash at any point leaves path holding either its old content or the
// complete new content; on any failure the old file is left untouched and
// the temporary file is removed.
func WriteAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	if runtime.GOOS != "windows" {
		d, err := os.Open(dir)
		if err != nil {
			return nil // the file is in place; the directory cannot be synced
		}
		defer d.Close()
		if err := d.Sync(); err != nil {
			return fmt.Errorf("fsync directory: %w", err)
		}
	}
	return nil
}

// WriteFileAtomic is WriteAtomic for content already in memory; errors name
// the path.
func WriteFileAtomic(path string, content []byte) error {
	err := WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(content)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
