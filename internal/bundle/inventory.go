package bundle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/textproto"
	"path"
	"slices"
	"strings"
)

// inventoryNote is recorded in expected.json and the README: how the list of
// installed packages is made, and what it cannot see.
const inventoryNote = "Read from the build's own layers, without running the image: " +
	"dpkg packages whose /var/lib/dpkg/info/<name>.list a build step wrote, with the version in the final dpkg status; " +
	"Python distributions whose *.dist-info/METADATA or *.egg-info/PKG-INFO a build step wrote; " +
	"conda packages whose conda-meta/*.json a build step wrote. " +
	"Packages of the base image are not listed. RPM packages are not listed (the rpm database is SQLite); " +
	"see the Dockerfile's dnf steps for what was asked for."

// inventory collects, layer by layer, what the build installed.
type inventory struct {
	step int
	// dpkgListed: package → step of the last layer that wrote its .list.
	dpkgListed map[string]int
	dpkgStatus []byte
	// meta: metadata file path → package, in the layer order they came.
	meta map[string]Package
}

func newInventory() *inventory {
	return &inventory{dpkgListed: map[string]int{}, meta: map[string]Package{}}
}

// wants says which files of a layer the inventory reads.
func (inv *inventory) wants(p string) bool {
	switch {
	case p == "var/lib/dpkg/status":
		return true
	case strings.HasPrefix(p, "var/lib/dpkg/info/") && strings.HasSuffix(p, ".list"):
		return true
	case strings.HasSuffix(p, ".dist-info/METADATA"), strings.HasSuffix(p, ".egg-info/PKG-INFO"):
		return true
	case strings.Contains(p, "conda-meta/") && strings.HasSuffix(p, ".json") && path.Base(path.Dir(p)) == "conda-meta":
		return true
	}
	return false
}

// add records one captured file of the current layer.
func (inv *inventory) add(p string, data []byte) {
	switch {
	case p == "var/lib/dpkg/status":
		inv.dpkgStatus = data
	case strings.HasPrefix(p, "var/lib/dpkg/info/"):
		name := strings.TrimSuffix(path.Base(p), ".list")
		name, _, _ = strings.Cut(name, ":")
		inv.dpkgListed[name] = inv.step
	case strings.HasSuffix(p, "/METADATA"), strings.HasSuffix(p, "/PKG-INFO"):
		name, version := pythonMetadata(data)
		if name != "" {
			inv.meta[path.Dir(p)] = Package{Manager: "python", Name: name, Version: version, Step: inv.step, Where: path.Dir(path.Dir(p))}
		}
	default:
		var c struct{ Name, Version string }
		if json.Unmarshal(data, &c) == nil && c.Name != "" {
			inv.meta[p] = Package{Manager: "conda", Name: c.Name, Version: c.Version, Step: inv.step, Where: path.Dir(path.Dir(p))}
		}
	}
}

// whiteout drops what a later layer deleted (OCI whiteout files).
func (inv *inventory) whiteout(p string) {
	dir, base := path.Split(p)
	deleted, ok := strings.CutPrefix(base, ".wh.")
	if !ok || deleted == ".wh..opq" {
		return
	}
	gone := path.Join(dir, deleted)
	for k := range inv.meta {
		if k == gone || strings.HasPrefix(k, gone+"/") {
			delete(inv.meta, k)
		}
	}
}

// packages returns what the build installed, sorted by manager and name.
func (inv *inventory) packages() []Package {
	out := []Package{}
	versions := dpkgVersions(inv.dpkgStatus)
	for name, step := range inv.dpkgListed {
		v, ok := versions[name]
		if !ok {
			continue // removed again by a later step
		}
		out = append(out, Package{Manager: "dpkg", Name: name, Version: v, Step: step})
	}
	for _, p := range inv.meta {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Package) int {
		for _, c := range []int{strings.Compare(a.Manager, b.Manager), strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Where, b.Where)} {
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// dpkgVersions reads the installed packages of a dpkg status file.
func dpkgVersions(status []byte) map[string]string {
	out := map[string]string{}
	for _, stanza := range bytes.Split(status, []byte("\n\n")) {
		h := headers(stanza)
		if !strings.HasSuffix(h.Get("Status"), " installed") {
			continue
		}
		if name := h.Get("Package"); name != "" {
			out[name] = h.Get("Version")
		}
	}
	return out
}

// pythonMetadata reads Name and Version from a core metadata file.
func pythonMetadata(data []byte) (string, string) {
	h := headers(data)
	return h.Get("Name"), h.Get("Version")
}

// headers reads RFC 822 style "Key: value" lines up to the first blank one.
func headers(data []byte) textproto.MIMEHeader {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(bytes.TrimLeft(data, "\n"), '\n', '\n'))))
	h, _ := r.ReadMIMEHeader()
	return h
}
