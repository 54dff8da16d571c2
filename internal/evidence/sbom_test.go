package evidence

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var testPackages = []Package{
	{Manager: "dpkg", Name: "jq", Version: "1.6-2.1ubuntu3"},
	{Manager: "dpkg", Name: "libc6", Version: "1:2.35-0ubuntu3"},
	{Manager: "python", Name: "Mineru_Core", Version: "2.5.4", Where: "opt/conda/lib/python3.10/site-packages"},
	{Manager: "python", Name: "mineru-core", Version: "2.5.4", Where: "usr/lib/python3/dist-packages"},
	{Manager: "conda", Name: "numpy", Version: "1.26.4", Where: "opt/conda"},
}

func testSBOM(t *testing.T) []byte {
	t.Helper()
	data, err := SBOM(SBOMImage{
		Name: "127.0.0.1:5000/macabox/mineru:maca3", ManifestDigest: "sha256:" + strings.Repeat("ab", 32),
		Platform: "linux/amd64", OS: "ubuntu22.04", Epoch: 1735689600, Note: "packages the build installed",
	}, testPackages)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// cyclonedxSchema compiles CycloneDX's own JSON Schema for SBOMSpec, as the
// library's module ships it (with the SPDX and JSF schemas it refers to).
func cyclonedxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("finding the CycloneDX module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, file := range map[string]string{
		"http://cyclonedx.org/schema/bom-1.6.schema.json": "bom-1.6.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":    "spdx.schema.json",
		// The module ships the JSF schema under a misspelt name.
		"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schemax.json",
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSBOMValidates checks the SBOM against CycloneDX's 1.6 schema and reads
// it back through the library, as a consumer would.
func TestSBOMValidates(t *testing.T) {
	data := testSBOM(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := cyclonedxSchema(t).Validate(inst); err != nil {
		t.Fatalf("the SBOM does not validate against CycloneDX 1.6:\n%v\n%s", err, data)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.Metadata.Component.Name != "127.0.0.1:5000/macabox/mineru" ||
		bom.Metadata.Component.Version != "maca3" || len(*bom.Components) != len(testPackages) ||
		bom.Metadata.Timestamp != "2025-01-01T00:00:00Z" {
		t.Errorf("read back: %+v", bom.Metadata.Component)
	}
	purls := map[string]bool{}
	for _, c := range *bom.Components {
		purls[c.PackageURL] = true
	}
	for _, want := range []string{
		"pkg:deb/ubuntu/libc6@1%3A2.35-0ubuntu3", "pkg:pypi/mineru-core@2.5.4", "pkg:conda/numpy@1.26.4",
	} {
		if !purls[want] {
			t.Errorf("no component %s in %v", want, purls)
		}
	}
	if !bytes.Equal(data, testSBOM(t)) {
		t.Error("two SBOMs of the same image differ")
	}
	if c := (*bom.Compositions)[0]; c.Aggregate != cdx.CompositionAggregateIncomplete {
		t.Errorf("the SBOM claims to be complete though the base's packages are not in it: %+v", c)
	}
}
