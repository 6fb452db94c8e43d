package data

import (
	"fmt"
	"slices"
)

// Dataset is N labelled examples of shape (C,H,W), stored NCHW as float32.
type Dataset struct {
	// X holds the examples, shape (N, C, H, W), len N*C*H*W. Loaders scale
	// pixel values to [0,1].
	X []float32
	// Y holds the labels, shape (N,), each a class index in [0, Classes).
	Y []int32
	// N is the number of examples; C, H, W the shape of one example.
	N, C, H, W int
	// Classes is the number of classes.
	Classes int
	// ClassNames names the classes, len Classes; may be nil.
	ClassNames []string
}

// FashionMNISTClasses lists the 10 Fashion-MNIST class names, indexed by label.
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// FeatureLen returns C*H*W, the number of float32 values in one example.
func (d *Dataset) FeatureLen() int { return d.C * d.H * d.W }

// Example returns a view (not a copy) of example i, shape (C,H,W), len
// C*H*W. Writes through the view change d.X; the view's capacity ends at
// the example so appends cannot overwrite the next one. It panics if i is
// out of range.
func (d *Dataset) Example(i int) []float32 {
	f := d.FeatureLen()
	return d.X[i*f : (i+1)*f : (i+1)*f]
}

// Subset returns a new Dataset holding copies of the examples listed in idx,
// in that order (shape (len(idx), C, H, W)); indices may repeat. Classes and
// ClassNames are kept. It panics if an index is out of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	f := d.FeatureLen()
	s := &Dataset{
		X:          make([]float32, len(idx)*f),
		Y:          make([]int32, len(idx)),
		N:          len(idx),
		C:          d.C,
		H:          d.H,
		W:          d.W,
		Classes:    d.Classes,
		ClassNames: slices.Clone(d.ClassNames),
	}
	for j, i := range idx {
		copy(s.X[j*f:(j+1)*f], d.X[i*f:(i+1)*f])
		s.Y[j] = d.Y[i]
	}
	return s
}

// SelectClasses returns the examples of d whose label is one of labels,
// in their order in d, relabelled to the label's index in labels (the
// examples of labels[0] become class 0); Classes is len(labels) and the
// class names follow. A label outside [0, d.Classes) is an error naming
// its index in labels.
func (d *Dataset) SelectClasses(labels []int) (*Dataset, error) {
	relabel := make(map[int32]int32, len(labels))
	for i, l := range labels {
		if l < 0 || l >= d.Classes {
			return nil, fmt.Errorf("classes[%d]: label %d is not a class of the data (labels 0 to %d)", i, l, d.Classes-1)
		}
		relabel[int32(l)] = int32(i)
	}
	var idx []int
	for i, y := range d.Y {
		if _, ok := relabel[y]; ok {
			idx = append(idx, i)
		}
	}
	s := d.Subset(idx)
	for i, y := range s.Y {
		s.Y[i] = relabel[y]
	}
	s.Classes = len(labels)
	if d.ClassNames != nil {
		s.ClassNames = make([]string, len(labels))
		for i, l := range labels {
			s.ClassNames[i] = d.ClassNames[l]
		}
	}
	return s, nil
}
