// Package recipe reads macabox recipes: strict YAML decoding with a source
// position on every field, and pure validation that reports every problem at once.
package recipe
