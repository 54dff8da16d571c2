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
// Capabilities come from the builder's BuildKit version: Info on a buildkitd
// (v0.11+), and on Docker's embedded builder, which has no Info before
// BuildKit v0.11, the Engine version mapped to the BuildKit it vendors
// (Docker 20.10 → v0.8). A buildkitd built without version ldflags reports
// "v0.0.0+unknown"; it is assumed to be current (the project builds its own
// from the pinned client version) and a warning in Capabilities says so.
//
// Several targets of one invocation share a base through BuildMany: a request
// names an earlier one as a named context, and the earlier image reaches it
// as an OCI layout addressed by digest, built once.
//
// The package is silent: it writes only to the writers it is given.
package builder
