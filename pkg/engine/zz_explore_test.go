package engine

import (
	"fmt"
	"testing"
)

func TestZZExplore(t *testing.T) {
	for _, ov := range [][]string{
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=tanh", "model.init=normal", "model.init_std=0.01"},
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=tanh", "model.init=xavier_normal"},
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=tanh", "model.init=kaiming_normal"},
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=relu", "model.init=kaiming_normal"},
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=relu", "model.init=xavier_normal"},
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=sigmoid", "model.init=normal", "model.init_std=1"},
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=relu", "model.init=normal", "model.init_std=1"},
		{"model.hidden=[256,256,256,256,256,256,256,256,256,256]", "model.activation=relu", "model.init=kaiming_normal", "preprocess.normalize=none"},
		{"model.hidden=[256,128]", "model.head_init_scale=0.1"},
		{"model.init=zeros"},
		{"model.hidden=[]"},
	} {
		cfg := testConfig(t, ov...)
		r, err := Sanity(cfg, SanityOptions{MaxSteps: 1, OverfitBatches: 1})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(ov, r.InitialLoss.Loss)
		for _, s := range r.Activations {
			fmt.Printf("  %-10s %-8s %9.3g %9.3g dead %.3f sat %.3f %s\n", s.Name, s.Kind, s.Mean, s.Std, s.DeadFrac, s.SaturatedFrac, s.Flag)
		}
		for _, w := range r.Warnings {
			fmt.Println("  WARN", w)
		}
	}
}
