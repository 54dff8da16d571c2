// Package imageref reads container image references and platforms as
// registries, Docker and BuildKit read them: references with the
// distribution grammar (github.com/distribution/reference), platforms with
// containerd's parser (github.com/containerd/platforms), which is the one
// BuildKit uses. Recipes, plans, the builder and bundles all go through it,
// so a reference or platform means the same at every stage.
package imageref
