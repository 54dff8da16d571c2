package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/ccf-ai-infra/macabox"

// owners names, per outside module, the one package of this module whose
// non-test code may import it. Test code may import any module it needs to
// check against the real thing.
var owners = map[string]string{
	"github.com/moby/buildkit":                         "internal/builder",
	"github.com/containerd/containerd/v2":              "internal/builder",
	"github.com/opencontainers/go-digest":              "internal/builder",
	"github.com/opencontainers/image-spec":             "internal/builder",
	"github.com/tonistiigi/fsutil":                     "internal/builder",
	"github.com/tonistiigi/go-csvvalue":                "internal/builder",
	"github.com/sirupsen/logrus":                       "internal/builder",
	"google.golang.org/grpc":                           "internal/builder",
	"github.com/gofrs/flock":                           "internal/builder",
	"github.com/distribution/reference":                "internal/imageref",
	"github.com/containerd/platforms":                  "internal/imageref",
	"github.com/moby/moby/client":                      "internal/docker",
	"github.com/moby/moby/api":                         "internal/docker",
	"github.com/containerd/errdefs":                    "internal/docker",
	"github.com/docker/cli":                            "internal/docker",
	"github.com/testcontainers/testcontainers-go":      "internal/smoke/runner",
	"tags.cncf.io/container-device-interface":          "internal/device",
	"tags.cncf.io/container-device-interface/specs-go": "internal/device",
	"github.com/docker/go-units":                       "internal/device",
	"go.yaml.in/yaml/v3":                               "internal/recipe",
	"github.com/spf13/cobra":                           "internal/cli",
	"github.com/spf13/pflag":                           "internal/cli",
	"golang.org/x/term":                                "internal/cli",
	"golang.org/x/sys":                                 "internal/hostcheck",
	"github.com/CycloneDX/cyclonedx-go":                "internal/evidence",
	"github.com/in-toto/attestation":                   "internal/evidence",
	"google.golang.org/protobuf":                       "internal/evidence",
}

// pkg is what go list says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Module     *struct{ Path string }
	Standard   bool
}

// list runs go list over the module's packages and their dependencies.
func list(t *testing.T) (mine []pkg, moduleOf map[string]string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Module,Standard", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	moduleOf = map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch {
		case p.Standard:
		case p.Module != nil && p.Module.Path == module:
			mine = append(mine, p)
		case p.Module != nil:
			moduleOf[p.ImportPath] = p.Module.Path
		}
	}
	if len(mine) == 0 {
		t.Fatal("go list found no package of " + module)
	}
	return mine, moduleOf
}

// TestOneOwnerPerLibrary: an outside module imported by two packages has
// two places to configure, wrap and upgrade it; the owner is where that
// happens once.
func TestOneOwnerPerLibrary(t *testing.T) {
	mine, moduleOf := list(t)
	importers := map[string][]string{}
	for _, p := range mine {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			mod, outside := moduleOf[imp]
			if !outside {
				continue
			}
			owner, known := owners[mod]
			switch {
			case !known:
				t.Errorf("%s imports %s of module %s, which has no owner: add it to owners with the one package that may import it", rel, imp, mod)
			case owner != rel:
				t.Errorf("%s imports %s (module %s), which only %s may import: go through %s", rel, imp, mod, owner, owner)
			}
			if !slices.Contains(importers[mod], rel) {
				importers[mod] = append(importers[mod], rel)
			}
		}
	}
	var mods []string
	for m := range importers {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	for _, m := range mods {
		t.Logf("%-50s %s", m, strings.Join(importers[m], ", "))
	}
}

// TestNothingImportsTheCommandLine: the command line turns flags into
// options and calls the pipeline; nothing below it may depend on it, or the
// layers run back up.
func TestNothingImportsTheCommandLine(t *testing.T) {
	mine, _ := list(t)
	cli := module + "/internal/cli"
	allowed := []string{module + "/cmd/macabox", cli + "/gendocs"}
	for _, p := range mine {
		if slices.Contains(p.Imports, cli) && !slices.Contains(allowed, p.ImportPath) {
			t.Errorf("%s imports %s", p.ImportPath, cli)
		}
	}
}

// TestOnlyTheCatalogReadsTheEmbeddedFiles: the module root embeds images/
// and recipes/ because go:embed reaches only below the embedding package;
// internal/catalog is the one reader, so every recipe of the catalog is
// loaded, positioned and merged under the user's tree the same way.
func TestOnlyTheCatalogReadsTheEmbeddedFiles(t *testing.T) {
	mine, _ := list(t)
	for _, p := range mine {
		if slices.Contains(p.Imports, module) && p.ImportPath != module+"/internal/catalog" {
			t.Errorf("%s imports %s; go through internal/catalog", p.ImportPath, module)
		}
	}
}
