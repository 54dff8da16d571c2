package world

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// manifestTypes are what the registry may hold for a fixture.
var manifestTypes = strings.Join([]string{
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
}, ", ")

// registryDigest is the digest of the manifest the local registry serves
// for repo (name:tag), hashed from the bytes it sends.
func (w *World) registryDigest(ctx context.Context, repo string) (string, error) {
	name, tag, _ := strings.Cut(repo, ":")
	url := "http://" + w.registryAddr() + "/v2/" + name + "/manifests/" + tag
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", manifestTypes)
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", fmt.Errorf("GET %s: %w", url, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// skopeo runs skopeo with an accept-anything policy: its default policy
// file comes from another package, and these are images built here.
func (w *World) skopeo(ctx context.Context, args ...string) error {
	policy := filepath.Join(w.runDir(), "skopeo-policy.json")
	if fi, err := os.Stat(policy); err != nil || fi.Size() == 0 {
		if err := os.WriteFile(policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`+"\n"), 0o644); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "skopeo", append([]string{"--policy", policy}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// pushFixture copies f from the OCI store to the local registry unless the
// registry already has it at digest.
func (w *World) pushFixture(ctx context.Context, f fixture, digest string) error {
	dest := w.registryAddr() + "/" + f.repo
	if got, err := w.registryDigest(ctx, f.repo); err == nil && got == digest {
		w.log.Printf("registry: %s already at %s", dest, digest)
		return nil
	}
	w.log.Printf("registry: pushing %s -> %s", f.ref, dest)
	// The oci: transport finds images by their
	// org.opencontainers.image.ref.name annotation, which BuildKit sets to
	// the tag alone.
	tag := f.ref[strings.LastIndexByte(f.ref, ':')+1:]
	if err := w.skopeo(ctx, "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false",
		"oci:"+w.ociStore()+":"+tag, "docker://"+dest); err != nil {
		return fmt.Errorf("skopeo copy of %s to %s failed: %w", f.ref, dest, err)
	}
	got, err := w.registryDigest(ctx, f.repo)
	if err != nil {
		return fmt.Errorf("cannot read back %s: %w", dest, err)
	}
	if got != digest {
		return fmt.Errorf("%s has %s after the push, expected %s", dest, got, digest)
	}
	return nil
}

func (w *World) pushFixtures(ctx context.Context) error {
	if err := w.host.ensureCommands(ctx, need{"skopeo", "skopeo"}); err != nil {
		return err
	}
	for _, f := range fixtures {
		if err := w.pushFixture(ctx, f, w.stateGet(f.name, "digest")); err != nil {
			return err
		}
	}
	return nil
}

// dockerHasDigest: Docker has image with digest among its repo digests.
func dockerHasDigest(ctx context.Context, image, digest string) bool {
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{json .RepoDigests}}", image).Output()
	return err == nil && strings.Contains(string(out), "@"+digest)
}

// dockerLoadFixture makes f available to Docker under its OCI-store name,
// which is what smoke tests run. It is pulled from the local registry
// (Docker trusts 127.0.0.0/8 over plain HTTP), so Docker records the same
// manifest digest.
func (w *World) dockerLoadFixture(ctx context.Context, f fixture, digest string) error {
	if dockerHasDigest(ctx, f.ref, digest) {
		w.log.Printf("docker: %s already at %s", f.ref, digest)
		return nil
	}
	from := w.registryAddr() + "/" + f.repo
	if out, err := exec.CommandContext(ctx, "docker", "pull", "-q", from).CombinedOutput(); err != nil {
		return fmt.Errorf("docker pull %s failed: %w: %s", from, err, lastLine(out))
	}
	if out, err := exec.CommandContext(ctx, "docker", "tag", from, f.ref).CombinedOutput(); err != nil {
		return fmt.Errorf("docker tag %s %s failed: %w: %s", from, f.ref, err, lastLine(out))
	}
	if !dockerHasDigest(ctx, f.ref, digest) {
		return fmt.Errorf("after the pull, Docker's %s lacks digest %s", f.ref, digest)
	}
	name, _, _ := strings.Cut(f.repo, ":")
	w.log.Printf("docker: %s = %s/%s@%s", f.ref, w.registryAddr(), name, digest)
	return nil
}

func (w *World) dockerLoadFixtures(ctx context.Context) error {
	for _, f := range fixtures {
		if err := w.dockerLoadFixture(ctx, f, w.stateGet(f.name, "digest")); err != nil {
			return err
		}
	}
	return nil
}
