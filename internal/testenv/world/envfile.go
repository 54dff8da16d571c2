package world

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// envVar is one line of `env`. An optional variable without a value is
// unset, so that a Docker endpoint of an earlier eval does not linger.
type envVar struct {
	name, value string
	optional    bool
}

// envVars are the MACABOX_TEST_* variables internal/testenv reads.
// dockerHost is empty when Docker did not answer.
func (w *World) envVars(dockerHost string) []envVar {
	registry := w.registryAddr()
	main, _ := w.buildkitd(mainBuildkitd)
	return []envVar{
		{name: "MACABOX_TEST_BUILDKIT_HOST", value: main.addr()},
		{name: "MACABOX_TEST_BUILDKITD", value: w.tools.Buildkitd},
		{name: "MACABOX_TEST_BUILDCTL", value: w.tools.Buildctl},
		{name: "MACABOX_TEST_REGISTRY", value: registry},
		{name: "MACABOX_TEST_OCI_STORE", value: w.ociStore()},
		{name: "MACABOX_TEST_DEBIAN_REF", value: debianRef},
		{name: "MACABOX_TEST_DEBIAN_DIGEST", value: w.stateGet(debianFixture.name, "digest")},
		{name: "MACABOX_TEST_MACASIM_REF", value: macasimRef},
		{name: "MACABOX_TEST_MACASIM_DIGEST", value: w.stateGet(macasimFixture.name, "digest")},
		{name: "MACABOX_TEST_DEBIAN_REGISTRY_REF", value: registry + "/" + debianRepo},
		{name: "MACABOX_TEST_MACASIM_REGISTRY_REF", value: registry + "/" + macasimRepo},
		{name: "MACABOX_TEST_REGISTRY_BIN", value: w.tools.Registry},
		{name: "MACABOX_TEST_BUSYBOX", value: busybox},
		{name: "MACABOX_TEST_DOCKER_HOST", value: dockerHost, optional: true},
	}
}

// writeEnv writes vars as shell lines for eval.
func writeEnv(out io.Writer, vars []envVar, now time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# macabox test environment, from scripts/testenv.sh (%s)\n", now.UTC().Format("2006-01-02T15:04:05Z"))
	for _, v := range vars {
		if v.value == "" && v.optional {
			fmt.Fprintf(&b, "unset %s\n", v.name)
			continue
		}
		fmt.Fprintf(&b, "export %s=%s\n", v.name, shellQuote(v.value))
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// shellQuote leaves a word of harmless characters as it is, as bash's
// printf %q does for every value here, and single-quotes anything else.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// emitEnv writes the env lines for the world as it is now.
func (w *World) emitEnv(ctx context.Context, out io.Writer) error {
	dockerHost := ""
	if dockerAnswers(ctx) == nil {
		dockerHost = dockerEndpoint(ctx)
	}
	return writeEnv(out, w.envVars(dockerHost), time.Now())
}

// writeEnvFile keeps the env lines in testenv.env for whoever wants them
// without running a command.
func (w *World) writeEnvFile(ctx context.Context) error {
	var b strings.Builder
	if err := w.emitEnv(ctx, &b); err != nil {
		return err
	}
	return writeFileAtomic(w.envFile(), b.String())
}
