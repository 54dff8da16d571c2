package builder

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"
)

// TestPushAndRegistryCache pushes to a local registry, checks the registry
// serves the manifest under the digest the build reported, then exports the
// cache there and shows that a fresh buildkitd reuses it.
func TestPushAndRegistryCache(t *testing.T) {
	ctx := testContext(t)
	reg := testRegistry(t)
	// Repositories unique to this run, as the registry may be shared.
	repo := "macabox-test/" + randomSecret(t)[len("macabox-secret-"):][:12]
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)
	files := writeAppFiles(t)

	req := appRequest(t, base, files, "")
	req.Outputs = []Output{{Type: OutputPush}}
	req.Tags = []string{reg + "/" + repo + "/app:1", reg + "/" + repo + "/app:latest"}
	req.CacheTo = []CacheSpec{{Type: "registry", Attrs: map[string]string{"ref": reg + "/" + repo + "/cache:app"}}}
	pushed, err := b.Build(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"1", "latest"} {
		if got := registryDigest(t, reg, repo+"/app", tag); got != pushed.ManifestDigest {
			t.Errorf("registry has %s for tag %s, build reported %s", got, tag, pushed.ManifestDigest)
		}
	}

	fresh := connect(t, startBuildkitd(t))
	var progress bytes.Buffer
	p, err := NewProgress(ctx, &progress, "plain")
	if err != nil {
		t.Fatal(err)
	}
	req = appRequest(t, base, files, filepath.Join(t.TempDir(), "oci"))
	req.CacheFrom = []CacheSpec{{Type: "registry", Attrs: map[string]string{"ref": reg + "/" + repo + "/cache:app"}}}
	req.Progress = p
	again, err := fresh.Build(ctx, req)
	if cerr := p.Close(); cerr != nil {
		t.Error(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fresh buildkitd with cache-from: %d of %d steps cached: %q", again.CachedSteps, again.Steps, again.CachedStepNames)
	if again.ManifestDigest != pushed.ManifestDigest {
		t.Errorf("digest %s from cache, %s pushed", again.ManifestDigest, pushed.ManifestDigest)
	}
	// The two COPYs and the RUN are the app's own steps.
	if again.CachedSteps < 3 {
		t.Errorf("only %d steps came from the registry cache; progress:\n%s", again.CachedSteps, progress.String())
	}
}

func registryDigest(t *testing.T, host, repo, tag string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, "http://"+host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("registry: %s:%s: %s", repo, tag, resp.Status)
	}
	return resp.Header.Get("Docker-Content-Digest")
}
