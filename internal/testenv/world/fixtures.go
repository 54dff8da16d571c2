package world

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/testenv/daemon"
)

// A fixture is an image the world builds reproducibly into the OCI store
// and pushes to the registry.
type fixture struct {
	name string // state file and log names
	ref  string // name in the OCI store and in Docker
	repo string // repository in the local registry
}

var (
	debianFixture  = fixture{name: "debian", ref: debianRef, repo: debianRepo}
	macasimFixture = fixture{name: "maca-sim", ref: macasimRef, repo: macasimRepo}
	fixtures       = []fixture{debianFixture, macasimFixture}
)

// buildctlBuild is one reproducible build exported into the OCI layout at
// store under ref; it returns the manifest digest. Both the exporter's
// attributes and the SOURCE_DATE_EPOCH build arg are needed for identical
// digests.
func (w *World) buildctlBuild(ctx context.Context, addr, store, ref, logFile, context, dockerfileDir string, extra ...string) (string, error) {
	if strings.Contains(store, ",") {
		return "", fmt.Errorf("OCI store path %s contains a comma, which buildctl's --output cannot take", store)
	}
	meta, err := os.CreateTemp(w.tmpDir(), "metadata.")
	if err != nil {
		return "", err
	}
	meta.Close()
	defer os.Remove(meta.Name())
	logf, err := os.Create(logFile)
	if err != nil {
		return "", err
	}
	defer logf.Close()
	args := append([]string{
		"--addr", addr, "build", "--progress=plain",
		"--frontend=dockerfile.v0",
		"--local", "context=" + context, "--local", "dockerfile=" + dockerfileDir,
		"--opt", "build-arg:SOURCE_DATE_EPOCH=" + w.FixtureEpoch,
		"--output", fmt.Sprintf("type=oci,dest=%s,tar=false,name=%s,source-date-epoch=%s,rewrite-timestamp=true", store, ref, w.FixtureEpoch),
		"--metadata-file", meta.Name(),
	}, extra...)
	cmd := exec.CommandContext(ctx, w.tools.Buildctl, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("build of %s: %w", ref, ctx.Err())
		}
		w.log.Printf("build of %s failed; last lines of %s:", ref, logFile)
		w.log.Tail(logFile, 40)
		return "", fmt.Errorf("build of %s failed (log: %s): %w", ref, logFile, err)
	}
	data, err := os.ReadFile(meta.Name())
	if err != nil {
		return "", err
	}
	var md struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(data, &md); err != nil || !strings.HasPrefix(md.Digest, "sha256:") {
		return "", fmt.Errorf("buildctl reported no image digest for %s (see %s)", ref, logFile)
	}
	return md.Digest, nil
}

// cachedFixture is the digest of f if its state has key and the store
// still holds that image.
func (w *World) cachedFixture(f fixture, key string) (string, bool) {
	digest := w.stateGet(f.name, "digest")
	if w.stateGet(f.name, "key") != key || digest == "" {
		return "", false
	}
	got, ok := storeDigest(w.ociStore(), f.ref)
	return digest, ok && got == digest
}

// ensureFixture builds f into the main store unless its cache key is
// unchanged and the image is still there.
func (w *World) ensureFixture(ctx context.Context, f fixture, key string, build func(ctx context.Context, addr, store, logFile string) (string, error)) error {
	if digest, ok := w.cachedFixture(f, key); ok {
		w.log.Printf("fixture %s: cached %s@%s", f.name, f.ref, digest)
		return nil
	}
	logFile := w.logFile("build-" + f.name)
	w.log.Printf("fixture %s: building %s (inputs %s; log %s)", f.name, f.ref, key, logFile)
	main, err := w.buildkitd(mainBuildkitd)
	if err != nil {
		return err
	}
	digest, err := build(ctx, main.addr(), w.ociStore(), logFile)
	if err != nil {
		return err
	}
	if got, _ := storeDigest(w.ociStore(), f.ref); got != digest {
		return fmt.Errorf("%s/index.json does not list %s at %s after the build", w.ociStore(), f.ref, digest)
	}
	if err := w.statePut(f.name, key, digest); err != nil {
		return fmt.Errorf("recording fixture %s: %w", f.name, err)
	}
	w.log.Printf("fixture %s: %s@%s", f.name, f.ref, digest)
	return nil
}

// ---- Debian

// machine is `uname -m`, part of the rootfs key: debootstrap installs the
// host's architecture.
func machine(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "uname", "-m").Output()
	if err != nil {
		return "", fmt.Errorf("uname -m: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (w *World) debianRootfsKey(ctx context.Context) (string, error) {
	arch, err := machine(ctx)
	if err != nil {
		return "", err
	}
	return cacheKey(fileInput(w.fixtureSource("debian", "mkrootfs.sh")),
		valueInput(debianSuite), valueInput(w.DebianMirror), valueInput(w.FixtureEpoch), valueInput(arch))
}

func (w *World) debianImageKey(ctx context.Context) (string, error) {
	rootfs, err := w.debianRootfsKey(ctx)
	if err != nil {
		return "", err
	}
	return cacheKey(fileInput(w.fixtureSource("debian", "Dockerfile")),
		valueInput(rootfs), valueInput(w.FixtureEpoch), valueInput(debianRef))
}

// ensureDebianRootfs returns the cached debootstrap tarball, making it
// first if needed (the slow part of a cold start after the tools).
func (w *World) ensureDebianRootfs(ctx context.Context) (string, error) {
	key, err := w.debianRootfsKey(ctx)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(w.fixtureDir(), "debian-rootfs-"+key)
	tar := filepath.Join(dir, "rootfs.tar")
	if fi, err := os.Stat(tar); err == nil && fi.Size() > 0 {
		return tar, nil
	}
	if !isRoot() {
		return "", fmt.Errorf("debootstrap needs root to make the Debian base; run scripts/testenv.sh up as root once")
	}
	if err := w.host.ensureCommands(ctx, need{"debootstrap", "debootstrap"}, need{"gpgv", "gpgv"}); err != nil {
		return "", err
	}
	logFile := w.logFile("debootstrap")
	w.log.Printf("fixture debian: debootstrap --variant=minbase %s from %s (log %s)", debianSuite, w.DebianMirror, logFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	logf, err := os.Create(logFile)
	if err != nil {
		return "", err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, w.fixtureSource("debian", "mkrootfs.sh"), debianSuite, w.DebianMirror, w.FixtureEpoch, tar)
	cmd.Env = withEnv("TMPDIR", w.tmpDir())
	cmd.Stdout, cmd.Stderr = logf, logf
	daemon.TerminateGroupOnCancel(cmd)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("debootstrap: %w", ctx.Err())
		}
		w.log.Printf("debootstrap failed; last lines of %s:", logFile)
		w.log.Tail(logFile, 30)
		return "", fmt.Errorf("could not make the Debian rootfs (is %s reachable? set MACABOX_DEBIAN_MIRROR): %w", w.DebianMirror, err)
	}
	// Older tarballs belong to inputs that changed.
	old, _ := filepath.Glob(filepath.Join(w.fixtureDir(), "debian-rootfs-*"))
	for _, o := range old {
		if o != dir {
			_ = os.RemoveAll(o)
		}
	}
	return tar, nil
}

// buildDebian builds the Debian image from the rootfs tarball.
func (w *World) buildDebian(ctx context.Context, addr, store, logFile string) (string, error) {
	tar, err := w.ensureDebianRootfs(ctx)
	if err != nil {
		return "", err
	}
	return w.buildctlBuild(ctx, addr, store, debianRef, logFile, filepath.Dir(tar), w.fixtureSource("debian"))
}

// ---- maca-sim

func (w *World) macasimKey() (string, error) {
	inputs, err := dirFiles(w.fixtureSource("maca-sim"))
	if err != nil {
		return "", fmt.Errorf("maca-sim fixture: %w", err)
	}
	inputs = append(inputs, valueInput(w.stateGet(debianFixture.name, "digest")), valueInput(w.FixtureEpoch), valueInput(macasimRef))
	return cacheKey(inputs...)
}

// buildMacasim builds maca-sim FROM the Debian image of the main store,
// passed by digest as a named context.
func (w *World) buildMacasim(ctx context.Context, addr, store, logFile string) (string, error) {
	debian := w.stateGet(debianFixture.name, "digest")
	if debian == "" {
		return "", fmt.Errorf("the Debian fixture is missing; run scripts/testenv.sh up")
	}
	dir := w.fixtureSource("maca-sim")
	return w.buildctlBuild(ctx, addr, store, macasimRef, logFile, dir, dir,
		"--oci-layout", ociStoreID+"="+w.ociStore(),
		"--opt", "context:"+debianRef+"=oci-layout://"+ociStoreID+"@"+debian)
}
