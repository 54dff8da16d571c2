package world

import (
	"strings"
	"testing"
)

func TestGomodRequire(t *testing.T) {
	mod := []byte(`module example.com/m

go 1.26

require github.com/a/single v1.0.0

require (
	github.com/a/block v1.2.3 // indirect
	// github.com/a/commented v9.9.9
	github.com/a/block/sub v0.1.0
)

replace github.com/a/single => ../single
`)
	for module, want := range map[string]string{
		"github.com/a/single":    "v1.0.0",
		"github.com/a/block":     "v1.2.3",
		"github.com/a/block/sub": "v0.1.0",
		"github.com/a/commented": "",
		"github.com/a":           "",
	} {
		if got := gomodRequire(mod, module); got != want {
			t.Errorf("gomodRequire(%s) = %q, want %q", module, got, want)
		}
	}
}

func TestGomodReplaces(t *testing.T) {
	for _, c := range []struct {
		mod  string
		want bool
	}{
		{"replace github.com/moby/buildkit => ../buildkit\n", true},
		{"replace github.com/moby/buildkit v0.34.2 => github.com/fork/buildkit v0.34.3\n", true},
		{"replace (\n\tgithub.com/moby/buildkit => ../buildkit\n)\n", true},
		{"replace (\n\tgithub.com/other/x => ../x\n)\nrequire github.com/moby/buildkit v0.34.2\n", false},
		{"replace github.com/moby/buildkit/sub => ../sub\n", false},
		{"// replace github.com/moby/buildkit => ../buildkit\n", false},
		{"require github.com/moby/buildkit v0.34.2\n", false},
	} {
		if got := gomodReplaces([]byte(c.mod), buildkitModule); got != c.want {
			t.Errorf("gomodReplaces(%q) = %v, want %v", c.mod, got, c.want)
		}
	}
}

func TestPinnedVersions(t *testing.T) {
	bk, reg, err := pinnedVersions([]byte(testMainMod), []byte(testBuildkitMod), []byte(testRegistryMod))
	if err != nil || bk != "v0.34.2" || reg != "v3.1.2" {
		t.Fatalf("pinnedVersions = %q, %q, %v; want v0.34.2, v3.1.2", bk, reg, err)
	}
	newer := strings.Replace(testMainMod, "v0.34.2", "v0.35.0", 1)
	for _, c := range []struct {
		name                string
		main, buildkit, reg string
		want                []string
	}{
		{"client newer than daemon", newer, testBuildkitMod, testRegistryMod, []string{
			"BuildKit version mismatch", "go.mod requires github.com/moby/buildkit v0.35.0", "pins v0.34.2",
			"go get -tool github.com/moby/buildkit/cmd/buildkitd@v0.35.0 github.com/moby/buildkit/cmd/buildctl@v0.35.0",
		}},
		{"no client", "module example.com/m\n", testBuildkitMod, testRegistryMod, []string{"go.mod does not require github.com/moby/buildkit", "v0.34.2"}},
		{"no daemon pin", testMainMod, "module x\n", testRegistryMod, []string{"scripts/tools/buildkit/go.mod does not require"}},
		{"no registry pin", testMainMod, testBuildkitMod, "module x\n", []string{"scripts/tools/registry/go.mod does not require github.com/distribution/distribution/v3"}},
		{"replaced client", testMainMod + "replace github.com/moby/buildkit => ../bk\n", testBuildkitMod, testRegistryMod, []string{"replace directive", "remove it"}},
		{"replaced daemon", testMainMod, testBuildkitMod + "replace github.com/moby/buildkit v0.34.2 => ../bk\n", testRegistryMod, []string{"replace directive"}},
	} {
		_, _, err := pinnedVersions([]byte(c.main), []byte(c.buildkit), []byte(c.reg))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q: %v", c.name, w, err)
			}
		}
	}
}

// The repository's own pins must agree, or every `up` fails.
func TestRepositoryToolPinsAgree(t *testing.T) {
	tools, err := readToolPins("../../..", "/bin")
	if err != nil {
		t.Fatal(err)
	}
	if tools.Buildkitd != "/bin/buildkitd-"+tools.BuildkitVersion+"/buildkitd" {
		t.Errorf("buildkitd path %s does not follow the cache layout bin/buildkitd-VERSION/buildkitd", tools.Buildkitd)
	}
}
