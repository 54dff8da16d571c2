// Package catalog holds the checks on the project's own recipes under
// images/ and recipes/: every recipe validates, every target plans and renders
// to its checked-in Dockerfile, and every rendered Dockerfile passes
// BuildKit's own Dockerfile checks on the pinned buildkitd, and the steps of
// the real layers that need no network beyond Debian's mirror are built on the
// simulated MACA base and smoke-tested. It has no code of its own; the recipes
// are its subject.
package catalog
