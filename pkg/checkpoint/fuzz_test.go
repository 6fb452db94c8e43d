package checkpoint

import (
	"bytes"
	"testing"
)

func FuzzDecode(f *testing.F) {
	valid := encode(f, sampleFile())
	f.Add(valid)
	f.Add(encode(f, &File{}))
	f.Add(encode(f, &File{Tensors: []Tensor{{Name: "e", Shape: []int{0}}, {Name: "s", Shape: []int{}, Data: []float32{1}}}}))
	f.Add([]byte{})
	f.Add(valid[:7])
	f.Add(valid[:len(valid)-1])
	flipped := bytes.Clone(valid)
	flipped[20] ^= 0xff
	f.Add(flipped)
	f.Add(rawFile(`{"__metadata__":{"format":"nettrain-checkpoint","format_version":"1"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,18446744073709551615]}}`, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			if file != nil {
				t.Fatal("Decode returned a File together with an error")
			}
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, file); err != nil {
			t.Fatalf("re-encoding a decoded file failed: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), b) {
			t.Fatalf("re-encoding differs:\n in: %q\nout: %q", b, buf.Bytes())
		}
	})
}
