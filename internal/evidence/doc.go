// Package evidence holds what a port to MACA is judged on besides "it
// runs", in the forms others can check: the results of its tests recorded
// on a reference platform (with where and how they were recorded), an SBOM
// of its image, and an in-toto statement that ties a bundle's image, its
// recipe inputs and its test and benchmark results together for a
// contributor to sign.
//
// It makes and reads these files; the pipeline decides when, and the
// bundle package where in a bundle they go. It owns the CycloneDX and
// in-toto libraries.
package evidence
