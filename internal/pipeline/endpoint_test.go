package pipeline_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

const deadDocker = "unix:///nonexistent/docker.sock"

// TestUnreachableDockerIsNeverReplaced: a DOCKER_HOST that does not answer
// is a refusal naming it (exit 2), never a run on the local engine, for
// every verb that talks to Docker; doctor reports that very endpoint as
// failing.
func TestUnreachableDockerIsNeverReplaced(t *testing.T) {
	env := testenv.RequireDocker(t)
	before := smokeContainers(t)
	// A sound bundle, made while Docker still answers: reproduce must fail
	// on the engine, not on the bundle.
	w := newWorld(t, "")
	bundleDir := filepath.Join(t.TempDir(), "demo-bundle")
	w.export(projectRoot, "demo", bundleDir, exportOpts{})
	t.Setenv("DOCKER_HOST", deadDocker)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	smokeOpts := pipeline.SmokeOptions{Device: pipeline.DeviceOptions{Profile: device.ProfileNone}, Out: io.Discard, Err: io.Discard}

	_, testErr := pipeline.Test(ctx, pipeline.TestOptions{Root: projectRoot, Target: "demo", Image: env.MacaSimRef, Smoke: smokeOpts})
	_, buildErr := pipeline.Build(ctx, pipeline.BuildOptions{
		Root: projectRoot, Targets: []string{"demo"}, Load: true, Err: io.Discard,
		Builder: pipeline.BuilderOptions{Addr: env.BuildkitHost},
		Request: pipeline.RequestOptions{Bases: (&world{env: env}).bases(), Progress: "quiet"},
	})
	_, runErr := pipeline.RunArgv(ctx, pipeline.RunOptions{Root: projectRoot, Target: "demo", Err: io.Discard})
	_, reproduceErr := pipeline.Reproduce(ctx, pipeline.ReproduceOptions{
		Bundle: bundleDir, Builder: pipeline.BuilderOptions{Addr: env.BuildkitHost}, Bases: w.bases(),
		Progress: "quiet", Image: w.tag("reproduced"), TempDir: testenv.TempDir(t), Smoke: smokeOpts,
	})
	for verb, err := range map[string]error{"test": testErr, "build --load": buildErr, "run": runErr, "reproduce": reproduceErr} {
		if !errors.Is(err, pipeline.ErrCannot) || !strings.Contains(err.Error(), "/nonexistent/docker.sock") || !strings.Contains(err.Error(), "DOCKER_HOST") {
			t.Errorf("%s: %v; want a refusal naming the endpoint and where it came from", verb, err)
		}
	}
	// doctor reports on the engine every other verb would use: the dead
	// one, named, never the local engine's version.
	rep := pipeline.Doctor(ctx, pipeline.DoctorOptions{Builder: pipeline.BuilderOptions{Addr: env.BuildkitHost}})
	var dockerCheck *hostcheck.Check
	for i, c := range rep.Checks {
		if c.Name == "docker" {
			dockerCheck = &rep.Checks[i]
		}
	}
	if dockerCheck == nil || dockerCheck.Status != hostcheck.Fail || !strings.Contains(dockerCheck.Detail, "/nonexistent/docker.sock") ||
		!strings.Contains(dockerCheck.Detail, "DOCKER_HOST") || rep.Facts.Docker != "" {
		t.Errorf("doctor: docker check %+v, docker fact %q; want a failure naming the endpoint and where it came from", dockerCheck, rep.Facts.Docker)
	}
	if after := smokeContainers(t); after != before {
		t.Errorf("the local engine's smoke containers went from %q to %q", before, after)
	}
}

// smokeContainers lists the local engine's smoke test containers, through
// the docker CLI and the default socket.
func smokeContainers(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("docker", "ps", "-aq", "--filter", "label=org.ccf-ai-infra.macabox=smoke")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestCorruptBundleNeedsNoDaemon: a bundle that does not verify is reported
// as such before any daemon is reached, on a host with neither.
func TestCorruptBundleNeedsNoDaemon(t *testing.T) {
	t.Setenv("DOCKER_HOST", deadDocker)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sums := strings.Repeat("0", 64) + "  Dockerfile\n"
	if err := os.WriteFile(filepath.Join(dir, bundle.SumsName), []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := pipeline.Reproduce(context.Background(), pipeline.ReproduceOptions{
		Bundle: dir, Builder: pipeline.BuilderOptions{Addr: "unix:///nonexistent/buildkitd.sock"},
		Smoke: pipeline.SmokeOptions{Out: io.Discard, Err: io.Discard},
	})
	if err != nil || rep == nil || rep.Verdict != bundle.VerdictCorrupt || rep.OK {
		t.Fatalf("reproduce: %+v, %v; want the verdict %q and no error", rep, err, bundle.VerdictCorrupt)
	}
}
