// Package catalog is the recipes macabox carries in its binary: the base
// images of images/ and the layers and stacks of recipes/, with the files
// their copy steps take and their lock files, so that `base: maca-3.0`
// resolves in any directory. It reads them (Load, Files, ReadFile) and
// names their content (Digest); which of a user's documents override which
// of the catalog's, and writing the catalog out, is decided where trees are
// loaded, in pipeline.
//
// Its tests are the checks on those recipes: every recipe validates, every
// target plans and renders to its checked-in Dockerfile, every rendered
// Dockerfile passes BuildKit's own Dockerfile checks on the pinned buildkitd,
// the steps of the real layers that need no network beyond Debian's mirror
// are built on the simulated MACA base and smoke-tested, and the embedded
// copy plans exactly as the tree it was made from.
package catalog
