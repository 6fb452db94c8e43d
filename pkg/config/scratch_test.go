package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestScratch(t *testing.T) {
	in := os.Getenv("CFG")
	if in == "" {
		t.Skip()
	}
	var ov []string
	if s := os.Getenv("OV"); s != "" {
		ov = strings.Split(s, "|")
	}
	c, err := Parse([]byte(in), "configs/x.yaml", ov)
	if err != nil {
		fmt.Println("ERR:", err)
		return
	}
	b, _ := c.Marshal()
	fmt.Print(string(b))
}
