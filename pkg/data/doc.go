// Package data loads labelled image datasets and feeds them to training.
//
// All tensors are float32 and stored NCHW: example i of a [Dataset] occupies
// values i*C*H*W to (i+1)*C*H*W-1, laid out channel by channel, row by row.
// 8-bit images (IDX files, PNG/JPEG folders) are held in byte storage, one
// byte per value, and converted to float32 (and standardized, when the
// preprocessing is elementwise) as each example is read: a quarter of the
// memory of float storage and the same values to the bit ([Dataset]).
//
// The package covers, in the order a training run uses it:
//
//   - reading IDX files (the MNIST / Fashion-MNIST format), raw or gzipped:
//     [ReadIDX], [ReadIDXFile], and a whole folder with the standard file
//     names: [LoadIDXDir];
//   - an image folder root/{train,test}/<class>/*.png|jpg (RGB or
//     grayscale): [LoadImageFolder]; a CSV table root/{train,test}.csv with a
//     label column: [LoadCSVDir], [ReadCSV]; and one entry point for the
//     three formats: [Load];
//   - carving a validation split out of the training set: [SplitValidation],
//     or [SplitValidationInPlace] without a second copy of the training set;
//   - refusing a training split whose labels skip a class (a stray label
//     200 among 0-9), naming the file and the example ([LoadOptions]);
//   - global standardization fitted on the training split only:
//     [FitStandardizer], [Standardizer.Apply];
//   - the general [Preprocessor] (none, global, per-channel and per-feature
//     standardization, PCA, PCA whitening, ZCA whitening), fitted on the
//     training split with [Fit], serialized as a JSON header plus named
//     float32 tensors with [Preprocessor.State] and restored with
//     [RestorePreprocessor];
//   - mini-batching with a shuffle order that depends only on (seed, epoch),
//     so that a resumed run sees exactly the batches it would have seen:
//     [Loader].
//
// The package keeps no thread setting of its own: the work that runs in
// parallel (decoding an image folder, fitting and applying pca, pca_whiten
// and zca) takes the caller's worker budget as an argument
// ([LoadOptions].Workers, the workers of [Fit] and [Preprocessor]), and the
// results never depend on it.
//
// Spec and PreprocessConfig are also the config's "data" and "preprocess"
// sections, defined here once: keys (yaml tags), defaults (DefaultSpec,
// DefaultPreprocess, ApplyDefaults), ranges (range tags), allowed names
// (Formats, PreprocessMethods) and Validate.
//
// Readers never panic on malformed input and never allocate much more than
// the bytes actually present in the input, whatever the file header claims.
package data
