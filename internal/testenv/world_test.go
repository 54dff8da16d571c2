package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests check the world scripts/testenv.sh builds. Like every
// integration test they fail, never skip, when it is missing.

type ociIndex struct {
	Manifests []struct {
		Digest      string            `json:"digest"`
		Annotations map[string]string `json:"annotations"`
	} `json:"manifests"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func blobPath(store, digest string) string {
	return filepath.Join(store, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

func TestWorldOCIStoreHoldsTheFixtures(t *testing.T) {
	env := Require(t)
	var idx ociIndex
	readJSON(t, filepath.Join(env.OCIStore, "index.json"), &idx)
	for ref, digest := range map[string]string{env.DebianRef: env.DebianDigest, env.MacaSimRef: env.MacaSimDigest} {
		var found []string
		for _, m := range idx.Manifests {
			if m.Annotations["io.containerd.image.name"] == ref {
				found = append(found, m.Digest)
			}
		}
		if len(found) != 1 || found[0] != digest {
			t.Errorf("index.json has %s at %v, want exactly %s", ref, found, digest)
		}
		if _, err := os.Stat(blobPath(env.OCIStore, digest)); err != nil {
			t.Errorf("manifest blob of %s: %v", ref, err)
		}
	}

	// maca-sim must say everywhere that it is a simulation.
	var manifest struct {
		Config struct{ Digest string } `json:"config"`
	}
	readJSON(t, blobPath(env.OCIStore, env.MacaSimDigest), &manifest)
	var config struct {
		Config struct {
			Env    []string          `json:"Env"`
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	readJSON(t, blobPath(env.OCIStore, manifest.Config.Digest), &config)
	if config.Config.Labels["io.macabox.simulated"] != "true" {
		t.Errorf("maca-sim labels %v lack io.macabox.simulated=true", config.Config.Labels)
	}
	if !strings.Contains(strings.Join(config.Config.Env, "\n"), "MACA_PATH=/opt/maca") {
		t.Errorf("maca-sim env %v lacks MACA_PATH=/opt/maca", config.Config.Env)
	}
}

func TestWorldRegistryServesTheFixtures(t *testing.T) {
	env := Require(t)
	for ref, digest := range map[string]string{env.DebianRegistryRef: env.DebianDigest, env.MacaSimRegistryRef: env.MacaSimDigest} {
		repo, tag, ok := strings.Cut(strings.TrimPrefix(ref, env.Registry+"/"), ":")
		if !ok {
			t.Fatalf("registry ref %q is not %s/REPO:TAG", ref, env.Registry)
		}
		req, err := http.NewRequest(http.MethodHead, "http://"+env.Registry+"/v2/"+repo+"/manifests/"+tag, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != http.StatusOK || got != digest {
			t.Errorf("%s: status %d, digest %q; want 200 and %s", ref, resp.StatusCode, got, digest)
		}
	}
}

func TestWorldSharedBuildkitdAnswers(t *testing.T) {
	env := Require(t)
	out, err := exec.Command(env.Buildctl, "--addr", env.BuildkitHost, "debug", "workers").CombinedOutput()
	if err != nil {
		t.Fatalf("buildctl debug workers: %v\n%s", err, out)
	}
}

// A fresh daemon builds on maca-sim taken from the OCI store by digest: the
// way every offline build in the tests gets its base.
func TestStartBuildkitdBuildsOnMacaSimAndCleansUp(t *testing.T) {
	env := Require(t)
	var b *Buildkitd
	t.Run("build", func(t *testing.T) {
		b = StartBuildkitd(t)
		dockerfile := TempDir(t)
		df := "FROM " + env.MacaSimRef + "\nRUN mx-smi --version >/mx-smi-version && cat /opt/maca/Version.txt\n"
		if err := os.WriteFile(filepath.Join(dockerfile, "Dockerfile"), []byte(df), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, env.Buildctl, "--addr", b.Addr, "build",
			"--progress=plain", "--frontend=dockerfile.v0",
			"--local", "context="+dockerfile, "--local", "dockerfile="+dockerfile,
			"--oci-layout", "fixtures="+env.OCIStore,
			"--opt", "context:"+env.MacaSimRef+"=oci-layout://fixtures@"+env.MacaSimDigest,
		).CombinedOutput()
		if err != nil {
			t.Fatalf("build FROM maca-sim: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("Version:3.0.0.5")) {
			t.Errorf("build output lacks Version:3.0.0.5:\n%s", out)
		}
	})
	if b == nil {
		return
	}
	if !b.Exited() {
		t.Error("buildkitd still running after the test ended")
	}
	if _, err := os.Stat(b.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("buildkitd dir %s still there after the test: %v", b.Dir, err)
	}
}

func docker(t *testing.T, env Env, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// maca-sim in a container sees exactly the device nodes it is given. Host
// /dev/null stands in for the MetaX nodes: mx-smi only looks for them.
func TestMacaSimInDockerReportsTheDevicesItIsGiven(t *testing.T) {
	env := RequireDocker(t)
	image := env.MacaSimRegistryRef
	if out, errOut, err := docker(t, env, "pull", "-q", image); err != nil {
		t.Fatalf("docker pull %s: %v\n%s%s", image, err, out, errOut)
	}
	out, _, err := docker(t, env, "image", "inspect", "--format", "{{json .RepoDigests}}", image)
	if err != nil || !strings.Contains(out, env.MacaSimDigest) {
		t.Errorf("pulled image digests %s (err %v), want %s", out, err, env.MacaSimDigest)
	}

	out, errOut, err := docker(t, env, "run", "--rm", image, "mx-smi", "-L")
	if err == nil || !strings.Contains(errOut, "/dev/mxcd not found") {
		t.Errorf("mx-smi -L with no devices: err %v, stdout %q, stderr %q; want a failure naming /dev/mxcd", err, out, errOut)
	}

	out, errOut, err = docker(t, env, "run", "--rm",
		"--device", "/dev/null:/dev/mxcd", "--device", "/dev/null:/dev/dri/renderD129",
		image, "sh", "-c", `mx-smi -L && head -n1 /opt/maca/Version.txt && python3 -c 'import torch; print(torch.__version__, torch.cuda.device_count())' && test -f /opt/maca/SIMULATED`)
	if err != nil {
		t.Fatalf("with devices: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	for _, want := range []string{
		"GPU#0    MXC500 (simulated)  renderD129  Available",
		"Version:3.0.0.5",
		"2.6.0+metax3.0.0.5 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "GPU#1") {
		t.Errorf("mx-smi listed a GPU the container was not given:\n%s", out)
	}
}
