// Package recipe reads macabox recipes: strict YAML decoding with a source
// position on every field, and pure validation that reports every problem at
// once.
//
// The flow is Load (or LoadTree, LoadPaths, LoadFS) → Validate → the
// planner. Loading decodes through yaml.Node by hand, driven by the struct
// tags of the model in types.go; the JSON Schema (JSONSchema) and the format
// reference (FormatReference) are generated from the same tags, and
// `go generate` writes them to docs/reference. Every problem is an *Error
// positioned in its file; Errors collects them and prints one per line as
// `file:line:col: field "x": problem`.
//
// The rules that other packages must apply the same way live here:
// ExpandRefs and Expand for ${NAME} references, BuiltinArgs and InheritedEnv
// for what a reference may name without a declaration, and ParseConstraint
// for the version constraints of a layer's requirements.
package recipe
