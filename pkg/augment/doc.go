// Package augment holds image augmentations over single examples of shape
// (C,H,W) (values nominally in [0,1], i.e. before standardization) and the
// batch-level label-mixing methods.
//
// # Determinism
//
// Nothing here touches a global random source. An [Op] draws every random
// parameter from the *rand.Rand it is given, in an order its documentation
// states; [Pipeline.Apply] derives that generator from (seed, epoch,
// example index) with rng.New(seed, rng.Augment, epoch, index), so an
// example's augmentation does not depend on batch order or thread count.
// Batch-level mixing ([Mixup], [CutMix]) draws from [MixRand](seed, epoch,
// step). Changing an op's draw order changes every augmented run: treat it
// as a format change (testdata/augment/golden.json pins it).
//
// # Pipelines and specs
//
// A [Pipeline] is an ordered list of [Step]s, each an [Op] applied with
// probability P. [New] builds one from [Spec]s, plain data a configuration
// decodes into (a Spec is one entry of the config's augment list: its yaml
// tags are the keys, and [Params] says which ones each op reads), validating
// all of them at once; errors are [*SpecError]s naming the step index and
// the parameter key, e.g.
//
//	augment[2].degrees: rotate: must be in [0, 180], got 200
//	augment[0].op: unknown op "rotat"; did you mean "rotate"? known: color_jitter, crop, …
//
// Spec parameters by op (the struct that does the work in brackets; an
// empty range means the default shown):
//
//	crop          pad, size (0: input size), fill, fill_value        [Crop]  torchvision RandomCrop(size, padding)
//	hflip, vflip  —                                                  [HFlip], [VFlip]
//	resized_crop  scale [0.08, 1], ratio [3/4, 4/3]                  [ResizedCrop]  RandomResizedCrop, output = input size
//	color_jitter  brightness, contrast, saturation, hue             [ColorJitter]  torchvision ColorJitter
//	translate     translate [x, y] fractions, fill, fill_value       [Translate]  whole-pixel shifts
//	rotate        degrees, fill, fill_value                          [Rotate]
//	stretch       stretch [min, max] (required), fill, fill_value    [Stretch]  independent scale per axis
//	shear         degrees, fill, fill_value                          [Shear]  horizontal shear
//	lens          k [min, max], fill, fill_value                     [Lens]  radial k1: > 0 barrel, < 0 pincushion
//	erase         scale [0.02, 0.33], ratio [0.3, 3.3], fill         [Erase]  Random Erasing; fill zero|noise
//	cutout        size, fill                                         [Cutout]  Cutout; fill zero|noise
//	randaugment   n (default 2), magnitude 0–10, ops, fill, fill_value [RandAugment]
//
// Geometric fill is "constant" (fill_value, default 0), "edge" or "reflect".
// Shape-dependent checks (a crop larger than the padded image, saturation or
// hue on non-RGB data) are made by [Pipeline.OutShape], which the caller runs
// once the data set's shape is known.
//
// # Geometry
//
// Every geometric op ([Geometric]) describes itself as a [Warp] — a 2x3
// [Affine] matrix, optionally around a radial distortion — from output to
// input pixel coordinates (pixel centres at integers), and [Resample] is the
// one bilinear sampler that renders warps, with a [Fill] border policy. With
// [Pipeline].Fuse, consecutive geometric steps with the same border are
// composed into one warp and interpolate once. At exact grid points the sampler
// copies pixels bit for bit: flips, crops, integer shifts and quarter turns
// are exact, and identity parameters leave an image unchanged.
//
// # Labels
//
// [Mixup] and [CutMix] mix a batch (n, c, h, w) in place and write soft
// targets (n, classes); [SmoothLabels] and [SmoothTargets] apply label
// smoothing, which commutes with mixing.
//
// # Preview
//
// [WriteGrid] writes originals and their augmented versions as a PNG grid.
package augment
