package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// matrixTree is a recipe tree with two simulated MACA lines, both the test
// world's maca-sim fixture under another name and version, each with a
// step of its own that no earlier run can have cached (nonce); a layer
// whose build fails for the flavour "broken" and whose one test fails only
// for the gpu flavour on the 3.1 line; and the matrix of the two lines and
// two flavours, to which matrixExtra adds.
func matrixTree(t *testing.T, env testenv.Env, nonce, matrixExtra string) string {
	image := func(name, version, line string) string {
		return `apiVersion: macabox/v1
kind: Image
name: ` + name + `
from: ` + env.MacaSimRef + `
simulated: true
maca: {version: ` + version + `}
env: {MACA_LINE: "` + line + `"}
steps:
  - run: echo "line ` + line + ` ` + nonce + `" > /opt/maca-line
`
	}
	return writeTree(t, map[string]string{
		"images/sims.yaml": image("sim-3.0", "3.0.0.5", "3.0") + "---\n" + image("sim-3.1", "3.1.0.7", "3.1"),
		"recipes/app/app.yaml": `apiVersion: macabox/v1
kind: Layer
name: app
args: {FLAVOR: plain}
steps:
  - run: echo "$FLAVOR" > /opt/flavor
  - run: test "$FLAVOR" != broken
smoke:
  - name: flavour recorded
    file: /opt/flavor
    expect: {content: '^(plain|gpu)$'}
  - name: the flavour works on this line
    run: test "$F-$M" != gpu-3.1.0.7
    env: {F: "${FLAVOR}", M: "${MACA_VERSION}"}
  - name: gpus listed
    needs: [device]
    run: mx-smi -L
  - name: a known gap
    run: "false"
    xfail: no kernel for this yet
---
apiVersion: macabox/v1
kind: Matrix
name: lines
base: [sim-3.0, sim-3.1]
layers: [app]
axes:
  FLAVOR: [plain, gpu]
tags: ["macabox-cli-test/lines:${FLAVOR}-${MACA_VERSION}-` + nonce + `"]
` + matrixExtra,
	})
}

// matrixRun is a matrix tree (see matrixTree) in a work folder of its own,
// with the images the test tags and the cells' test containers removed
// when it ends, however it ends.
type matrixRun struct {
	env                    testenv.Env
	work, nonce, dir, base string
	tags                   []string
}

// newMatrixRun makes the tree with matrixExtra, and names the images of the
// cells tagged FLAVOR-MACA_VERSION, which the test builds.
func newMatrixRun(t *testing.T, matrixExtra string, tagged ...string) matrixRun {
	env := testenv.RequireDocker(t)
	work := testenv.TempDir(t)
	r := matrixRun{env: env, work: work, nonce: filepath.Base(work),
		base: env.MacaSimRef + "=oci-layout://" + env.OCIStore + "@" + env.MacaSimDigest}
	r.dir = matrixTree(t, env, r.nonce, matrixExtra)
	for _, c := range tagged {
		r.tags = append(r.tags, "macabox-cli-test/lines:"+c+"-"+r.nonce)
	}
	t.Cleanup(func() { _ = exec.Command("docker", append([]string{"rmi", "-f"}, r.tags...)...).Run() })
	t.Cleanup(func() { _, _ = removeCellContainers() })
	return r
}

var matrixCells = []string{"lines-sim-3.0-plain", "lines-sim-3.0-gpu", "lines-sim-3.1-plain", "lines-sim-3.1-gpu", "lines-sim-3.0-broken"}

// matrixSummary is what the test reads of the JSON summary.
type matrixSummary struct {
	Schema, Matrix, Verb string
	Axes                 []string
	OK                   bool
	Cells                []struct {
		Name   string
		Values []struct{ Axis, Value string }
		Build  *struct {
			Status, Error, ManifestDigest string
			Tags, CachedSteps             []string
		}
		Tests *struct {
			Status                                  string
			Total, Passed, Failed, Skipped, XFailed int
			Failures                                []struct{ Name string }
		}
		OK bool
	}
}

func readSummary(t *testing.T, path string) matrixSummary {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s matrixSummary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return s
}

// assertNoCellContainers checks that no test container of a cell is left,
// and removes any.
func assertNoCellContainers(t *testing.T) {
	t.Helper()
	left, err := removeCellContainers()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	if len(left) > 0 {
		t.Errorf("containers of cells left behind: %v", left)
	}
}

// removeCellContainers removes the containers of the cells' tests and
// says which there were.
func removeCellContainers() ([]string, error) {
	var left []string
	for _, c := range matrixCells {
		out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=org.ccf-ai-infra.macabox.target="+c).Output()
		if err != nil {
			return left, err
		}
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
			left = append(left, ids...)
		}
	}
	return left, nil
}
