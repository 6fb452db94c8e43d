// Package data loads labelled image datasets and feeds them to training.
//
// All tensors are float32 and stored NCHW: example i of a [Dataset] occupies
// X[i*C*H*W : (i+1)*C*H*W], laid out channel by channel, row by row.
//
// The package covers, in the order a training run uses it:
//
//   - reading IDX files (the MNIST / Fashion-MNIST format), raw or gzipped:
//     [ReadIDX], [ReadIDXFile], and a whole folder with the standard file
//     names: [LoadIDXDir];
//   - carving a validation split out of the training set: [SplitValidation];
//   - global standardization fitted on the training split only:
//     [FitStandardizer], [Standardizer.Apply];
//   - mini-batching with a shuffle order that depends only on (seed, epoch),
//     so that a resumed run sees exactly the batches it would have seen:
//     [Loader].
//
// Readers never panic on malformed input and never allocate much more than
// the bytes actually present in the input, whatever the file header claims.
package data
