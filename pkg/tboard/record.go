package tboard

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// castagnoli is the CRC32C table TFRecord framing uses.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskDelta is the constant TFRecord adds to a rotated CRC.
const maskDelta = 0xa282ead8

// MaskedCRC returns the masked CRC32C of b, as stored in TFRecord framing:
// the Castagnoli CRC rotated right by 15 bits plus 0xa282ead8.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + maskDelta
}

// recordOverhead is the framing around a record's data: length, length CRC
// and data CRC.
const recordOverhead = 8 + 4 + 4

// appendRecord appends data framed as one TFRecord to buf.
func appendRecord(buf, data []byte) []byte {
	n := len(buf) // the length is checksummed in place: no header array to escape
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(data)))
	buf = binary.LittleEndian.AppendUint32(buf, MaskedCRC(buf[n:n+8]))
	buf = append(buf, data...)
	return binary.LittleEndian.AppendUint32(buf, MaskedCRC(data))
}

// FormatError reports a record that cannot be read: a truncated file, a CRC
// mismatch or a malformed Event.
type FormatError struct {
	// Record is the 0-based index of the record in the file.
	Record int
	// Offset is the byte offset in the file where the record starts.
	Offset int64
	// Msg says what is wrong.
	Msg string
}

// Error implements error.
func (e *FormatError) Error() string {
	return fmt.Sprintf("record %d at byte %d: %s", e.Record, e.Offset, e.Msg)
}

// splitRecords returns the data of every TFRecord in b, checking the framing
// and both CRCs. Errors are *FormatError.
func splitRecords(b []byte) ([][]byte, error) {
	var out [][]byte
	for off := 0; off < len(b); {
		fail := func(format string, args ...any) error {
			return &FormatError{Record: len(out), Offset: int64(off), Msg: fmt.Sprintf(format, args...)}
		}
		rest := b[off:]
		if len(rest) < 12 {
			return nil, fail("truncated header: %d of 12 bytes", len(rest))
		}
		if got, want := binary.LittleEndian.Uint32(rest[8:12]), MaskedCRC(rest[:8]); got != want {
			return nil, fail("length CRC mismatch: stored %#08x, computed %#08x", got, want)
		}
		n := binary.LittleEndian.Uint64(rest[:8])
		if avail := uint64(len(rest) - 12); avail < 4 || n > avail-4 {
			return nil, fail("truncated record: length %d, but only %d bytes follow the header (data and 4-byte CRC)", n, avail)
		}
		data := rest[12 : 12+n]
		if got, want := binary.LittleEndian.Uint32(rest[12+n:]), MaskedCRC(data); got != want {
			return nil, fail("data CRC mismatch: stored %#08x, computed %#08x", got, want)
		}
		out = append(out, data)
		off += recordOverhead + int(n)
	}
	return out, nil
}
