package bundle

import (
	"fmt"
	"strings"
)

// Tool is the macabox that made a bundle, or reproduces one: its version
// and the digest of the catalog built into it.
type Tool struct {
	Version string `json:"version"`
	Catalog string `json:"catalog,omitempty"`
}

// ToolSkew says, in a sentence, how the macabox reproducing differs from
// the one that made the bundle; "" when they are the same or the bundle
// does not say. It changes no verdict: a reproduction rebuilds the bundle's
// own Dockerfile and files, never the recipes of either macabox.
func (r *Report) ToolSkew() string {
	made, now := r.Expected.Macabox, r.Actual.Macabox
	if made == nil || now == nil || *made == *now {
		return ""
	}
	what := "another macabox"
	if made.Version == now.Version {
		what = "the same macabox version with another catalog"
	}
	return fmt.Sprintf("the bundle was made with macabox %s (catalog %s), this is %s: %s %s; the bundle's own Dockerfile and files were rebuilt, so that changes nothing in the comparison",
		made.Version, shortDigest(made.Catalog), what, now.Version, shortDigest(now.Catalog))
}

// shortDigest cuts a digest to what a person compares by eye.
func shortDigest(d string) string {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok {
		return d
	}
	return "sha256:" + short(hex)
}
