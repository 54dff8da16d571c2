// Package builder builds a rendered Dockerfile into an image through BuildKit's
// Go client: it connects to a builder (a buildkitd address or Docker's embedded
// BuildKit), finds out what that builder can do, refuses requests it cannot
// honour before any work starts, and runs the solve with exactly the context
// files the plan names, the outputs the user asked for and one progress display.
//
// Reproducibility is the default: a Request with an Epoch sets
// source-date-epoch and rewrite-timestamp on the exporter and
// SOURCE_DATE_EPOCH on the frontend, and the build context is sent with fixed
// metadata (uid/gid 0, normalised modes, a fixed mtime) so that neither the
// checkout's timestamps nor its owner reach a layer.
//
// The package is silent: it writes only to the writers it is given.
package builder
