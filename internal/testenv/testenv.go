// Package testenv gives tests the macabox test world that scripts/testenv.sh
// builds: a pinned buildkitd, a local registry, an OCI layout store with a
// Debian base and the simulated MACA base (maca-sim), and Docker.
//
// Tests that need the world call Require. When the world is missing they
// fail, they do not skip: a skipped integration test in CI reads as a pass.
// The environment comes from the shell:
//
//	make test
//
// or, by hand:
//
//	scripts/testenv.sh up
//	eval "$(scripts/testenv.sh env)"
//	go test ./...
package testenv

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// Env describes the running test world. Every field except DockerHost is
// always set in an Env returned by Require.
type Env struct {
	// BuildkitHost is the address of the shared buildkitd (unix://...).
	// Tests that need a daemon of their own, with no cache, use
	// StartBuildkitd instead.
	BuildkitHost string
	// Buildkitd and Buildctl are the pinned BuildKit binaries, the same
	// version as the client library in go.mod.
	Buildkitd string
	Buildctl  string
	// Registry is the host:port of the local registry (plain HTTP on
	// 127.0.0.1, which buildkitd and Docker accept with no configuration).
	Registry string
	// OCIStore is an OCI image layout directory holding both fixtures. Send
	// it to BuildKit as an OCI store (buildctl --oci-layout ID=OCIStore) and
	// refer to an image in it as oci-layout://ID@DIGEST.
	OCIStore string
	// DebianRef/DebianDigest: the Debian bookworm minbase image in OCIStore.
	DebianRef    string
	DebianDigest string
	// MacaSimRef/MacaSimDigest: the SIMULATED MACA 3.0 base in OCIStore,
	// built FROM the Debian image. It is a stand-in, not MetaX software.
	MacaSimRef    string
	MacaSimDigest string
	// DebianRegistryRef and MacaSimRegistryRef name the same images, with
	// the same digests, in the local registry.
	DebianRegistryRef  string
	MacaSimRegistryRef string
	// RegistryBin is the pinned registry binary, for tests that need a
	// registry of their own.
	RegistryBin string
	// Busybox is a statically linked busybox, for tests that make tiny
	// FROM scratch images.
	Busybox string
	// DockerHost is the Docker endpoint, empty if Docker was not running
	// when the world was set up. Tests that need it call RequireDocker. In
	// Docker, the fixtures are tagged DebianRef and MacaSimRef.
	DockerHost string
}

// binding ties an environment variable to the Env field it fills.
type binding struct {
	name     string
	field    func(*Env) *string
	optional bool
}

var bindings = []binding{
	{name: "MACABOX_TEST_BUILDKIT_HOST", field: func(e *Env) *string { return &e.BuildkitHost }},
	{name: "MACABOX_TEST_BUILDKITD", field: func(e *Env) *string { return &e.Buildkitd }},
	{name: "MACABOX_TEST_BUILDCTL", field: func(e *Env) *string { return &e.Buildctl }},
	{name: "MACABOX_TEST_REGISTRY", field: func(e *Env) *string { return &e.Registry }},
	{name: "MACABOX_TEST_OCI_STORE", field: func(e *Env) *string { return &e.OCIStore }},
	{name: "MACABOX_TEST_DEBIAN_REF", field: func(e *Env) *string { return &e.DebianRef }},
	{name: "MACABOX_TEST_DEBIAN_DIGEST", field: func(e *Env) *string { return &e.DebianDigest }},
	{name: "MACABOX_TEST_MACASIM_REF", field: func(e *Env) *string { return &e.MacaSimRef }},
	{name: "MACABOX_TEST_MACASIM_DIGEST", field: func(e *Env) *string { return &e.MacaSimDigest }},
	{name: "MACABOX_TEST_DEBIAN_REGISTRY_REF", field: func(e *Env) *string { return &e.DebianRegistryRef }},
	{name: "MACABOX_TEST_MACASIM_REGISTRY_REF", field: func(e *Env) *string { return &e.MacaSimRegistryRef }},
	{name: "MACABOX_TEST_REGISTRY_BIN", field: func(e *Env) *string { return &e.RegistryBin }},
	{name: "MACABOX_TEST_BUSYBOX", field: func(e *Env) *string { return &e.Busybox }},
	{name: "MACABOX_TEST_DOCKER_HOST", field: func(e *Env) *string { return &e.DockerHost }, optional: true},
}

// Fix is what a developer has to run to get the test world, quoted in every
// failure message.
const Fix = `run: make test, or: scripts/testenv.sh up && eval "$(scripts/testenv.sh env)"`

// Require returns the test world, or fails the test (never skips it) with
// a message naming every missing or broken piece and the fix.
func Require(t testing.TB) Env {
	t.Helper()
	return require(t, os.Getenv, os.Stat)
}

// RequireDocker is Require for tests that also drive Docker.
func RequireDocker(t testing.TB) Env {
	t.Helper()
	env := require(t, os.Getenv, os.Stat)
	if env.DockerHost == "" && !t.Failed() {
		t.Fatalf("testenv: MACABOX_TEST_DOCKER_HOST is not set: Docker was not running when the test world was set up; start it with scripts/testenv.sh docker, then %s", Fix)
	}
	return env
}

type statFunc func(string) (os.FileInfo, error)

func require(t testing.TB, getenv func(string) string, stat statFunc) Env {
	t.Helper()
	env, problems := Lookup(getenv)
	if len(problems) == 0 {
		problems = env.check(stat)
	}
	if len(problems) > 0 {
		t.Fatalf("testenv: the macabox test world is not available:\n\t%s\n%s",
			strings.Join(problems, "\n\t"), Fix)
	}
	return env
}

// Lookup reads the test world from getenv (os.Getenv in tests). It returns
// one problem per required variable that is unset or empty.
func Lookup(getenv func(string) string) (Env, []string) {
	var env Env
	var problems []string
	for _, b := range bindings {
		v := getenv(b.name)
		if v == "" && !b.optional {
			problems = append(problems, b.name+" is not set")
			continue
		}
		*b.field(&env) = v
	}
	return env, problems
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// check catches a stale environment: variables left in a shell after
// `scripts/testenv.sh down`, or from another cache directory.
func (e Env) check(stat statFunc) []string {
	var problems []string
	for _, d := range []struct{ name, value string }{
		{"MACABOX_TEST_DEBIAN_DIGEST", e.DebianDigest},
		{"MACABOX_TEST_MACASIM_DIGEST", e.MacaSimDigest},
	} {
		if !digestPattern.MatchString(d.value) {
			problems = append(problems, fmt.Sprintf("%s=%q is not a sha256 digest", d.name, d.value))
		}
	}
	if sock, ok := strings.CutPrefix(e.BuildkitHost, "unix://"); ok {
		if _, err := stat(sock); err != nil {
			problems = append(problems, fmt.Sprintf("buildkitd socket %s: %v (is the test world up?)", sock, err))
		}
	}
	for _, p := range []string{e.Buildkitd, e.Buildctl, e.RegistryBin, e.Busybox} {
		if fi, err := stat(p); err != nil {
			problems = append(problems, err.Error())
		} else if fi.Mode().Perm()&0o111 == 0 {
			problems = append(problems, p+" is not executable")
		}
	}
	if _, err := stat(e.OCIStore + "/index.json"); err != nil {
		problems = append(problems, "OCI store: "+err.Error())
	}
	if !strings.Contains(e.Registry, ":") {
		problems = append(problems, fmt.Sprintf("MACABOX_TEST_REGISTRY=%q is not host:port", e.Registry))
	}
	return problems
}
