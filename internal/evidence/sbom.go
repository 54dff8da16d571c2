package evidence

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// SBOMSpec is the CycloneDX version an SBOM is written in: 1.6, which
// current scanners read.
const SBOMSpec = cdx.SpecVersion1_6

// Package is one package the build installed, as a bundle's inventory
// lists it.
type Package struct {
	// Manager is dpkg, python or conda.
	Manager, Name, Version string
	// Where is the install location of a Python or conda package.
	Where string
}

// SBOMImage is the image an SBOM describes.
type SBOMImage struct {
	// Name is the image's reference without digest, e.g. macabox/demo:sim.
	Name           string
	ManifestDigest string
	Platform       string
	// OS is the base's os as its recipe gives it (ubuntu22.04, debian12),
	// which says whose dpkg packages they are.
	OS string
	// Epoch is SOURCE_DATE_EPOCH: the SBOM's time, so that it is as
	// reproducible as the image.
	Epoch int64
	// Note says what the inventory covers and what it cannot see.
	Note string
}

// SBOM writes a CycloneDX JSON SBOM of the packages the build installed.
// The base image's own packages are not in the inventory, so the BOM says
// its composition is incomplete rather than implying it lists everything.
func SBOM(img SBOMImage, pkgs []Package) ([]byte, error) {
	hex := strings.TrimPrefix(img.ManifestDigest, "sha256:")
	repo, tag := splitTag(img.Name)
	image := cdx.Component{
		BOMRef: "image", Type: cdx.ComponentTypeContainer, Name: repo, Version: tag,
		Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex}},
		PackageURL: "pkg:oci/" + purlEscape(lastSegment(repo)) + "@" + purlEscape(img.ManifestDigest) + "?repository_url=" + purlEscape(repo) + "&tag=" + purlEscape(tag),
		Properties: &[]cdx.Property{{Name: "macabox:platform", Value: img.Platform}},
	}
	bom := cdx.NewBOM()
	bom.SerialNumber = serialNumber(img.ManifestDigest)
	bom.Metadata = &cdx.Metadata{
		Timestamp: time.Unix(img.Epoch, 0).UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "macabox", Group: "ccf-ai-infra",
		}}},
		Component:  &image,
		Properties: &[]cdx.Property{{Name: "macabox:inventory", Value: img.Note}},
	}
	components := []cdx.Component{}
	refs := []string{}
	seen := map[string]int{}
	for _, p := range pkgs {
		purl := packageURL(p, img.OS)
		ref := purl
		if n := seen[purl]; n > 0 {
			ref = fmt.Sprintf("%s#%d", purl, n+1)
		}
		seen[purl]++
		c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version, PackageURL: purl}
		props := []cdx.Property{{Name: "macabox:package-manager", Value: p.Manager}}
		if p.Where != "" {
			props = append(props, cdx.Property{Name: "macabox:location", Value: p.Where})
		}
		c.Properties = &props
		components = append(components, c)
		refs = append(refs, ref)
	}
	bom.Components = &components
	bom.Dependencies = &[]cdx.Dependency{{Ref: "image", Dependencies: &refs}}
	bom.Compositions = &[]cdx.Composition{{Aggregate: cdx.CompositionAggregateIncomplete, Assemblies: &[]cdx.BOMReference{"image"}}}
	var b bytes.Buffer
	enc := cdx.NewBOMEncoder(&b, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, SBOMSpec); err != nil {
		return nil, fmt.Errorf("writing the SBOM: %w", err)
	}
	return b.Bytes(), nil
}

// packageURL is a package's purl: pkg:deb/<vendor>/..., pkg:pypi/...,
// pkg:conda/....
func packageURL(p Package, osName string) string {
	switch p.Manager {
	case "dpkg":
		vendor := "debian"
		if strings.HasPrefix(strings.ToLower(osName), "ubuntu") {
			vendor = "ubuntu"
		}
		return "pkg:deb/" + vendor + "/" + purlEscape(p.Name) + "@" + purlEscape(p.Version)
	case "python":
		return "pkg:pypi/" + purlEscape(pypiName(p.Name)) + "@" + purlEscape(p.Version)
	}
	return "pkg:" + purlEscape(p.Manager) + "/" + purlEscape(p.Name) + "@" + purlEscape(p.Version)
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// pypiName is a distribution name as PyPI normalises it (PEP 503).
func pypiName(s string) string {
	return pypiSeparators.ReplaceAllString(strings.ToLower(s), "-")
}

// purlEscape percent-encodes everything but the characters a purl keeps
// as they are.
func purlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == '~':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// serialNumber derives the BOM's serial number from the image digest, in
// the form of a name-based UUID, so that the same image always gets the
// same SBOM.
func serialNumber(digest string) string {
	sum := sha256.Sum256([]byte("macabox sbom " + digest))
	u := sum[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// splitTag splits repo:tag (a port in the registry host is not a tag).
func splitTag(ref string) (string, string) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}

func lastSegment(repo string) string {
	return repo[strings.LastIndexByte(repo, '/')+1:]
}
