// Package bundle makes, checks and replays the bundle a pull request
// carries: everything a reviewer needs to rebuild an image bit for bit and
// test it, with or without macabox.
//
// A bundle is a directory or a byte-reproducible .tar.gz of plain files:
//
//	Dockerfile, recipes/...   the exact Dockerfile built and its context
//	build.sh run.sh smoke.sh  buildctl/buildx/docker build, docker run with the
//	                          maca device profile, the smoke tests in POSIX sh
//	env                       the image's environment as the recipes set it
//	tests.json                the smoke tests as data (for reproduce)
//	expected.json             digests, platform, BuildKit, epoch, bases, steps,
//	                          layers (with Dockerfile line and step), packages
//	image-config.json         the image config as built
//	layers/N.files.tsv.gz     per build layer: path, mode, owner, size, mtime, sha256
//	README.md README.zh-CN.md ISSUE.md PR.md
//	SHA256SUMS                every other file, for sha256sum -c
//
// Export builds a prepared target reproducibly and writes one. Verify checks
// one as a closed world. Reproduce verifies, rebuilds from the bundle's own
// Dockerfile and context, compares the manifest digest, explains a
// difference down to the files of the first differing layer, runs the
// smoke tests and reports.
package bundle
