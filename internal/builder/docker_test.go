package builder

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dockerclient "github.com/moby/moby/client"
)

func requireDocker(t *testing.T) *dockerclient.Client {
	t.Helper()
	dc, err := dockerclient.New(dockerclient.FromEnv)
	if err != nil {
		t.Fatalf("no Docker client: %v", err)
	}
	t.Cleanup(func() { dc.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := dc.Ping(ctx, dockerclient.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatalf("Docker is not reachable (make test starts it): %v", err)
	}
	return dc
}

// removeImageOnCleanup removes ref from Docker when the test ends, pass or fail.
func removeImageOnCleanup(t *testing.T, dc *dockerclient.Client, ref string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := dc.ImageRemove(ctx, ref, dockerclient.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !strings.Contains(err.Error(), "No such image") {
			t.Errorf("removing %s: %v", ref, err)
		}
	})
}

func uniqueTag(t *testing.T, prefix string) string {
	return prefix + ":" + randomSecret(t)[len("macabox-secret-"):][:12]
}

// TestLoadIntoDocker builds on buildkitd, streams the docker archive into the
// running dockerd and writes an OCI layout in the same solve: both outputs
// must describe one image.
func TestLoadIntoDocker(t *testing.T) {
	dc := requireDocker(t)
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)
	tag := uniqueTag(t, "macabox-test/load")
	removeImageOnCleanup(t, dc, tag)

	req := appRequest(t, base, writeAppFiles(t), filepath.Join(t.TempDir(), "oci"))
	req.Outputs = append(req.Outputs, Output{Type: OutputLoad})
	req.Tags = []string{tag}
	res, err := b.Build(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %s: %v, manifest %s", tag, res.Loaded, res.ManifestDigest)
	insp, err := dc.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatalf("docker image inspect %s: %v", tag, err)
	}
	if insp.ID != res.ConfigDigest {
		t.Errorf("Docker's image ID %s, build's config digest %s", insp.ID, res.ConfigDigest)
	}
	if insp.Created != time.Unix(1712345678, 0).UTC().Format(time.RFC3339) {
		t.Errorf("created %q: the epoch did not reach the config", insp.Created)
	}
}

func TestLoadNeedsDocker(t *testing.T) {
	b := connect(t, startBuildkitd(t))
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	b.docker = newDockerAPI(envDocker)
	_, err := b.Build(testContext(t), Request{
		Dockerfile: []byte("FROM scratch\n"),
		Outputs:    []Output{{Type: OutputLoad}},
	})
	if e := errorContains(err, "--load needs Docker", "start dockerd"); e != nil {
		t.Fatal(e)
	}
}

// TestDockerBuilder uses Docker's embedded BuildKit through the hijacked
// /grpc and /session endpoints.
func TestDockerBuilder(t *testing.T) {
	dc := requireDocker(t)
	ctx := testContext(t)
	b := connect(t, DockerAddr)
	caps := b.Capabilities()
	t.Logf("docker builder: %+v", caps)
	if caps.Docker == "" || !caps.hasExporter("moby") {
		t.Fatalf("not detected as Docker's embedded builder: %+v", caps)
	}
	embeds08 := strings.HasPrefix(caps.Docker, "20.10.")
	if embeds08 && caps.BuildKit != "v0.8" {
		t.Errorf("Docker %s detected as BuildKit %s, want v0.8", caps.Docker, caps.BuildKit)
	}

	epoch := int64(1712345678)
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(src, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	req := Request{
		Dockerfile: []byte("FROM scratch\nCOPY hello.txt /hello.txt\n"),
		Files:      map[string]string{"hello.txt": src},
		Epoch:      &epoch,
		Outputs:    []Output{{Type: OutputLoad}},
	}
	if embeds08 {
		_, err := b.Build(ctx, req)
		if e := errorContains(err, "reproducible output needs BuildKit v0.13", "--no-reproducible"); e != nil {
			t.Fatal(e)
		}
		t.Logf("refused as expected: %v", err)
		ociReq := req
		ociReq.Epoch = nil
		ociReq.Outputs = []Output{{Type: OutputOCI, Dest: filepath.Join(dir, "oci")}}
		if e := errorContains(b.Check(ociReq), "oci exporter", "--load"); e != nil {
			t.Error(e)
		}
	}

	tag := uniqueTag(t, "macabox-test/docker-builder")
	removeImageOnCleanup(t, dc, tag)
	req.Epoch = nil
	req.Tags = []string{tag}
	res, err := b.Build(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("docker builder result: config %s, manifest %q, %d steps", res.ConfigDigest, res.ManifestDigest, res.Steps)
	insp, err := dc.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatalf("docker image inspect %s: %v", tag, err)
	}
	if res.ConfigDigest != "" && insp.ID != res.ConfigDigest {
		t.Errorf("image ID %s, result %s", insp.ID, res.ConfigDigest)
	}
}
