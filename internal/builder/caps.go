package builder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc/codes"
)

// Capabilities is what one builder can do. They are derived from its BuildKit
// version because BuildKit has no feature probe that works across 0.8–0.34.
type Capabilities struct {
	// BuildKit is the builder's BuildKit version as reported or inferred,
	// e.g. "v0.34.2" or "v0.8" for Docker 20.10's embedded builder.
	BuildKit string
	// VersionKnown is false when the version had to be guessed (a buildkitd
	// built without version ldflags, or one too old to answer Info).
	VersionKnown bool
	// Docker is the Engine version when the builder is Docker's embedded one.
	Docker string
	// Reproducible: source-date-epoch and rewrite-timestamp (BuildKit ≥ 0.13).
	Reproducible bool
	// Exporters the builder has: image (push), oci, docker, moby, local, tar.
	Exporters []string
	// MultipleExporters: several outputs in one solve (BuildKit ≥ 0.13).
	MultipleExporters bool
	// CacheExport and CacheImport list the cache backends per direction.
	CacheExport []string
	CacheImport []string
	// NamedContexts: the Dockerfile frontend takes context:NAME=docker-image://
	// (BuildKit ≥ 0.10); OCILayoutContexts adds oci-layout:// (≥ 0.11).
	NamedContexts     bool
	OCILayoutContexts bool
	// Warnings explain guesses; the caller decides whether to show them.
	Warnings []string
}

func (c Capabilities) hasExporter(name string) bool { return slices.Contains(c.Exporters, name) }

// semver is the part of a BuildKit version that decides features.
type semver struct{ major, minor int }

func (v semver) atLeast(major, minor int) bool {
	return v.major > major || (v.major == major && v.minor >= minor)
}

// parseVersion reads "v0.34.2", "0.13.0-rc1" or "v0.8.2-..."; ok is false
// for unreleased builds ("v0.0.0+unknown", "dev", a commit hash).
func parseVersion(s string) (semver, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return semver{}, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(leadingDigits(parts[1]))
	if err1 != nil || err2 != nil || (major == 0 && minor == 0) {
		return semver{}, false
	}
	return semver{major, minor}, true
}

func leadingDigits(s string) string {
	for i, r := range s {
		if r < '0' || r > '9' {
			return s[:i]
		}
	}
	return s
}

// latest is assumed for a buildkitd that reports no release version: the
// project builds its own buildkitd from the pinned client version, and a
// development build is far more likely new than old.
var latest = semver{0, 34}

func capsForBuildkitd(v semver) Capabilities {
	c := Capabilities{
		BuildKit:     fmt.Sprintf("v%d.%d", v.major, v.minor),
		VersionKnown: true,
		Exporters:    []string{"image", "oci", "docker", "local", "tar"},
		CacheExport:  []string{"inline", "local", "registry"},
		CacheImport:  []string{"local", "registry"},
	}
	c.Reproducible = v.atLeast(0, 13)
	c.MultipleExporters = v.atLeast(0, 13)
	c.NamedContexts = v.atLeast(0, 10)
	c.OCILayoutContexts = v.atLeast(0, 11)
	return c
}

func detectBuildkitd(ctx context.Context, bk *bkclient.Client, timeout time.Duration) (Capabilities, error) {
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	info, err := bk.Info(ictx)
	if err != nil {
		if grpcerrors.Code(err) != codes.Unimplemented {
			return Capabilities{}, err
		}
		// Info arrived in v0.11; an older daemon still answers, so it
		// is reachable but lacks everything newer.
		c := capsForBuildkitd(semver{0, 10})
		c.BuildKit, c.VersionKnown = "< v0.11", false
		c.Warnings = append(c.Warnings, "builder is older than BuildKit v0.11 (no Info API); assuming v0.10 features")
		return c, nil
	}
	raw := info.BuildkitVersion.Version
	v, ok := parseVersion(raw)
	if !ok {
		c := capsForBuildkitd(latest)
		c.BuildKit, c.VersionKnown = raw, false
		c.Warnings = append(c.Warnings, fmt.Sprintf(
			"builder reports BuildKit version %q (built without a release version); assuming v%d.%d features",
			raw, latest.major, latest.minor))
		return c, nil
	}
	c := capsForBuildkitd(v)
	c.BuildKit = raw
	return c, nil
}

// embeddedBuildkit maps Docker Engine releases to the BuildKit they vendor,
// for engines whose BuildKit is too old to answer Info.
var embeddedBuildkit = []struct {
	docker   semver
	buildkit semver
}{
	{semver{23, 0}, semver{0, 10}},
	{semver{20, 10}, semver{0, 8}},
	{semver{19, 3}, semver{0, 6}},
}

func detectDocker(ctx context.Context, bk *bkclient.Client, dockerVersion, builderVersion string, timeout time.Duration) (Capabilities, error) {
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var c Capabilities
	info, err := bk.Info(ictx)
	switch {
	case err == nil:
		v, ok := parseVersion(info.BuildkitVersion.Version)
		if !ok {
			v = semver{0, 11}
		}
		c = capsForBuildkitd(v)
		c.BuildKit, c.VersionKnown = info.BuildkitVersion.Version, ok
	case grpcerrors.Code(err) == codes.Unimplemented:
		v := semver{0, 8}
		known := false
		if dv, ok := parseVersion(dockerVersion); ok {
			for _, e := range embeddedBuildkit {
				if dv.atLeast(e.docker.major, e.docker.minor) {
					v, known = e.buildkit, true
					break
				}
			}
		}
		c = capsForBuildkitd(v)
		c.BuildKit, c.VersionKnown = fmt.Sprintf("v%d.%d", v.major, v.minor), known
	default:
		return Capabilities{}, err
	}
	c.Docker = dockerVersion
	// Docker's embedded builder writes into Docker's own image store; it
	// has none of buildkitd's image exporters, and exports cache inline only.
	c.Exporters = []string{"moby", "local", "tar"}
	c.CacheExport = []string{"inline"}
	c.CacheImport = []string{"registry"}
	if builderVersion != "" && builderVersion != "2" {
		c.Warnings = append(c.Warnings, fmt.Sprintf("Docker's default builder is the legacy one (Builder-Version %s); macabox still uses its BuildKit", builderVersion))
	}
	return c, nil
}

// Check tells, before any work, whether the builder can do what req asks, and
// if not why and what to do instead. All problems are reported at once.
func (b *Builder) Check(req Request) error {
	return checkRequest(b.caps, b.addr, req)
}

func checkRequest(c Capabilities, addr string, req Request) error {
	var errs []error
	builder := fmt.Sprintf("builder %s runs BuildKit %s", addr, c.BuildKit)
	if c.Docker != "" {
		builder = fmt.Sprintf("builder docker (Docker %s) embeds BuildKit %s", c.Docker, c.BuildKit)
	}
	otherBuilder := "use a buildkitd builder (--builder unix:///run/buildkit/buildkitd.sock)"
	if req.Epoch != nil && !c.Reproducible {
		errs = append(errs, fmt.Errorf("reproducible output needs BuildKit v0.13 or newer (source-date-epoch with rewrite-timestamp); %s, which would silently ignore SOURCE_DATE_EPOCH: %s, or pass --no-reproducible", builder, otherBuilder))
	}
	exporters := 0
	for _, o := range req.Outputs {
		exp := exporterFor(o.Type, c)
		if exp == "" {
			errs = append(errs, fmt.Errorf("unknown output type %q: use load, oci, docker or push", o.Type))
			continue
		}
		exporters++
		if !c.hasExporter(exp) {
			fix := otherBuilder
			if c.Docker != "" && o.Type != OutputPush {
				fix = "use --load on this builder, or " + otherBuilder
			}
			if c.Docker != "" && o.Type == OutputPush {
				fix = "use --load and docker push, or " + otherBuilder
			}
			errs = append(errs, fmt.Errorf("output %s needs the %s exporter; %s, which has only %s: %s", o.Type, exp, builder, strings.Join(c.Exporters, ", "), fix))
		}
	}
	if exporters > 1 && !c.MultipleExporters {
		errs = append(errs, fmt.Errorf("%d outputs in one build need BuildKit v0.13 or newer; %s: ask for one output, or %s", exporters, builder, otherBuilder))
	}
	for _, cs := range req.CacheTo {
		if !slices.Contains(c.CacheExport, cs.Type) {
			errs = append(errs, fmt.Errorf("cache-to type=%s is not supported; %s, which exports cache only as %s: drop --cache-to or %s", cs.Type, builder, strings.Join(c.CacheExport, ", "), otherBuilder))
		}
	}
	for _, cs := range req.CacheFrom {
		if !slices.Contains(c.CacheImport, cs.Type) {
			errs = append(errs, fmt.Errorf("cache-from type=%s is not supported; %s, which imports cache only from %s: drop --cache-from or %s", cs.Type, builder, strings.Join(c.CacheImport, ", "), otherBuilder))
		}
	}
	for name, nc := range req.Contexts {
		switch {
		case nc.OCILayout != "" && !c.OCILayoutContexts:
			errs = append(errs, fmt.Errorf("base %q from an OCI layout needs BuildKit v0.11 or newer; %s: %s, or load the base into a registry", name, builder, otherBuilder))
		case !c.NamedContexts:
			errs = append(errs, fmt.Errorf("base %q as a named context needs BuildKit v0.10 or newer; %s: %s", name, builder, otherBuilder))
		}
	}
	return errors.Join(errs...)
}
