package builder

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConnectDockerContainer reaches a buildkitd through
// docker-container://NAME: the container runs only `buildctl dial-stdio`
// (as the connection helper expects) and reaches a buildkitd on the host
// through a bind-mounted socket, since no buildkit image can be pulled here.
func TestConnectDockerContainer(t *testing.T) {
	dc := requireDocker(t)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatal("no docker CLI, which the docker-container helper runs (Debian package docker.io)")
	}
	buildctl := requireEnv(t, "MACABOX_TEST_BUILDCTL")
	debian := debianBase(t)
	ctx := testContext(t)

	dir := shortTempDir(t, "mbkc-")
	sock := filepath.Join(dir, "buildkitd.sock")
	startBuildkitdAt(t, dir, "unix", sock)
	b := connect(t, "unix://"+sock)

	// An image with buildctl on Debian (buildctl links against glibc).
	image := uniqueTag(t, "macabox-test/buildctl")
	removeImageOnCleanup(t, dc, image)
	_, err := b.Build(ctx, Request{
		Dockerfile: []byte("FROM debian\nCOPY buildctl /usr/local/bin/buildctl\n"),
		Files:      map[string]string{"buildctl": buildctl},
		Contexts:   map[string]NamedContext{"debian": debian},
		Outputs:    []Output{{Type: OutputLoad}},
		Tags:       []string{image},
	})
	if err != nil {
		t.Fatal(err)
	}
	name := strings.NewReplacer("/", "-", ":", "-").Replace(image)
	run := exec.CommandContext(ctx, "docker", "run", "-d", "--rm", "--name", name,
		"-v", dir+":/run/buildkit", image, "sleep", "600")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("docker run: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "rm", "-f", name).CombinedOutput(); err != nil {
			t.Errorf("docker rm: %v: %s", err, out)
		}
	})

	viaContainer := connect(t, "docker-container://"+name)
	caps := viaContainer.Capabilities()
	if caps.BuildKit != b.Capabilities().BuildKit {
		t.Errorf("through the container: %+v", caps)
	}
	res, err := viaContainer.Build(ctx, Request{Dockerfile: []byte("FROM scratch\nENV VIA=container\n"), Outputs: []Output{{Type: OutputOCI, Dest: filepath.Join(t.TempDir(), "oci")}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built through docker-container://%s: %s", name, res.ManifestDigest)
}
