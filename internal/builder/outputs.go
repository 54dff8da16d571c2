package builder

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/ociindex"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/go-csvvalue"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

// OutputType names where an image goes.
type OutputType string

const (
	// OutputLoad loads the image into Docker: a docker-archive streamed into
	// the Engine's image load, or the moby exporter on the docker builder.
	OutputLoad OutputType = "load"
	// OutputOCI writes an OCI layout: a directory, or a tarball file.
	OutputOCI OutputType = "oci"
	// OutputDocker writes a docker-archive tarball file (docker load < FILE).
	OutputDocker OutputType = "docker"
	// OutputPush pushes Request.Tags to their registries.
	OutputPush OutputType = "push"
	// OutputLocal writes the final stage's files into the directory Dest.
	OutputLocal OutputType = "local"
)

// Output is one destination of a build.
type Output struct {
	Type OutputType
	// Dest is the directory or file for oci and docker outputs. For oci, a
	// path ending in ".tar" or an existing regular file means a tarball.
	Dest string
}

// ParseOutput reads the --output syntax: "type=oci,dest=DIR|FILE",
// "type=docker,dest=FILE", "type=registry" (push) or "type=docker" without
// dest (load).
func ParseOutput(s string) (Output, error) {
	kv, err := parseCSV(s)
	if err != nil {
		return Output{}, fmt.Errorf("output %q: %w", s, err)
	}
	o := Output{Dest: kv["dest"]}
	switch t := kv["type"]; t {
	case "oci":
		o.Type = OutputOCI
	case "docker":
		o.Type = OutputDocker
		if o.Dest == "" {
			o.Type = OutputLoad
		}
	case "registry", "image", "push":
		o.Type = OutputPush
	case "load":
		o.Type = OutputLoad
	case "":
		return Output{}, fmt.Errorf("output %q: missing type= (oci, docker, registry)", s)
	default:
		return Output{}, fmt.Errorf("output %q: unknown type %q: use oci, docker or registry", s, t)
	}
	if (o.Type == OutputOCI || o.Type == OutputDocker) && o.Dest == "" {
		return Output{}, fmt.Errorf("output %q: type=%s needs dest=PATH", s, o.Type)
	}
	return o, nil
}

// parseCSV reads the "k=v,k=v" lists of --output, --cache-* and --secret
// as buildx does: one CSV record, so a field in double quotes may hold
// commas ("dest=a,b"). Spaces around a field are not part of it.
func parseCSV(s string) (map[string]string, error) {
	csv := csvvalue.Parser{Comma: ',', TrimLeadingSpace: true}
	fields, err := csv.Fields(s, nil)
	if errors.Is(err, io.EOF) {
		return nil, errors.New("no key=value fields")
	}
	if err != nil {
		return nil, err
	}
	kv := map[string]string{}
	for _, field := range fields {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("field %q is not key=value", field)
		}
		kv[strings.ToLower(k)] = v
	}
	return kv, nil
}

// CacheSpec is a cache import or export: type local (src=DIR / dest=DIR) or
// registry (ref=REF), with BuildKit's attributes passed through.
type CacheSpec struct {
	Type  string
	Attrs map[string]string
}

// ParseCache reads the --cache-from/--cache-to syntax ("type=local,dest=DIR").
func ParseCache(s string) (CacheSpec, error) {
	kv, err := parseCSV(s)
	if err != nil {
		return CacheSpec{}, fmt.Errorf("cache %q: %w", s, err)
	}
	t := kv["type"]
	delete(kv, "type")
	switch t {
	case "local", "registry", "inline":
	case "":
		return CacheSpec{}, fmt.Errorf("cache %q: missing type= (local or registry)", s)
	default:
		return CacheSpec{}, fmt.Errorf("cache %q: unknown type %q: use local or registry", s, t)
	}
	return CacheSpec{Type: t, Attrs: kv}, nil
}

// exporterFor is the BuildKit exporter that implements an output type.
func exporterFor(t OutputType, c Capabilities) string {
	switch t {
	case OutputLoad:
		if c.Docker != "" {
			return "moby"
		}
		return bkclient.ExporterDocker
	case OutputOCI:
		return bkclient.ExporterOCI
	case OutputDocker:
		return bkclient.ExporterDocker
	case OutputPush:
		return bkclient.ExporterImage
	case OutputLocal:
		return bkclient.ExporterLocal
	}
	return ""
}

// imageAttrs are the exporter attributes every image output shares, so that
// load, oci, docker and push of one build report one manifest digest: OCI
// media types everywhere (the docker exporter defaults to Docker's, which
// would change the manifest bytes) and, when reproducible, the epoch.
func imageAttrs(epoch *int64, tags []string, embedded bool) map[string]string {
	attrs := map[string]string{}
	if !embedded {
		attrs["oci-mediatypes"] = "true"
	}
	if epoch != nil {
		attrs["source-date-epoch"] = strconv.FormatInt(*epoch, 10)
		attrs["rewrite-timestamp"] = "true"
	}
	if len(tags) > 0 {
		attrs["name"] = strings.Join(tags, ",")
	}
	return attrs
}

// exportPlan is how a build's outputs are exported: BuildKit's entries, and
// what the build does with them afterwards.
type exportPlan struct {
	entries []bkclient.ExportEntry
	// loads are tarballs streamed into Docker while BuildKit writes them.
	loads []*loadWriter
	// layouts are the OCI directories to index once the image is known.
	layouts []string
	// loadFrom is the OCI layout to load into Docker after the build, and
	// cache the load cache when that layout is the cache.
	loadFrom string
	cache    *loadCache
}

// release lets go of the load cache when the build ends without a load.
func (x *exportPlan) release() {
	if x.cache != nil {
		_ = x.cache.done("")
		x.cache = nil
	}
}

// exports turns outputs into BuildKit export entries. Loads into Docker
// return their writer so the build can wait for Docker's answer.
func (b *Builder) exports(ctx context.Context, req Request, progress *Progress) (x *exportPlan, err error) {
	x = &exportPlan{}
	defer func() {
		if err != nil {
			x.release()
		}
	}()
	embedded := b.caps.Docker != ""
	for _, o := range req.Outputs {
		attrs := imageAttrs(req.Epoch, req.Tags, embedded)
		e := bkclient.ExportEntry{Type: exporterFor(o.Type, b.caps), Attrs: attrs}
		switch {
		case o.Type == OutputLoad && embedded:
			// moby writes straight into Docker's store.
		case o.Type == OutputLoad && b.loadCache != "" && ociDirOutput(req.Outputs) != "":
			// The OCI directory the build writes anyway is the layout to
			// load from.
			x.loadFrom = ociDirOutput(req.Outputs)
			continue
		case o.Type == OutputLoad && b.loadCache != "":
			cache, err := openLoadCache(b.loadCache)
			if err != nil {
				return x, err
			}
			x.cache, x.loadFrom = cache, cache.dir
			store, err := newLayoutStore(cache.dir)
			if err != nil {
				return x, err
			}
			e.Type = bkclient.ExporterOCI
			attrs["tar"] = "false"
			e.OutputStore = store
		case o.Type == OutputLoad:
			lw, err := b.docker.startLoad(ctx)
			if err != nil {
				return x, err
			}
			x.loads = append(x.loads, lw)
			e.Output = func(map[string]string) (io.WriteCloser, error) {
				return &stepCloser{WriteCloser: lw, step: progress.Start("load into docker")}, nil
			}
		case o.Type == OutputOCI && !isTarball(o.Dest):
			// BuildKit takes one OCI store per solve, and writes into
			// it only the blobs the layout lacks.
			if len(x.layouts) > 0 {
				return x, fmt.Errorf("only one OCI directory output per build (%s and %s)", x.layouts[0], o.Dest)
			}
			attrs["tar"] = "false"
			store, err := newLayoutStore(o.Dest)
			if err != nil {
				return x, fmt.Errorf("output %s: %w", o.Dest, err)
			}
			e.OutputStore = store
			x.layouts = append(x.layouts, o.Dest)
		case o.Type == OutputOCI || o.Type == OutputDocker:
			e.Output = fileOutput(o.Dest)
		case o.Type == OutputLocal:
			e.Attrs = map[string]string{}
			e.OutputDir = o.Dest
		case o.Type == OutputPush:
			if len(req.Tags) == 0 {
				return x, fmt.Errorf("push needs at least one tag (--tag REGISTRY/NAME:TAG)")
			}
			attrs["push"] = "true"
			if allLoopback(req.Tags) {
				attrs["registry.insecure"] = "true"
			}
		}
		x.entries = append(x.entries, e)
	}
	if len(req.Outputs) == 0 && !embedded && b.caps.hasExporter(bkclient.ExporterImage) {
		// With nowhere to send the image, BuildKit would still build it but
		// name no digest. An unnamed, unpushed image export costs only the
		// manifest and config, and gives the digest the caller prints.
		x.entries = append(x.entries, bkclient.ExportEntry{Type: bkclient.ExporterImage, Attrs: imageAttrs(req.Epoch, nil, false)})
	}
	return x, nil
}

// exportedDescriptor is the image descriptor in an exporter response:
// annotations and platform included, so an OCI index written from it is the
// one the export writes. ok is false when the response has none.
func exportedDescriptor(resp map[string]string) (desc ocispec.Descriptor, ok bool, err error) {
	raw := resp["containerimage.descriptor"]
	if raw == "" {
		return desc, false, nil
	}
	dt, err := base64.StdEncoding.DecodeString(raw)
	if err == nil {
		err = json.Unmarshal(dt, &desc)
	}
	if err != nil {
		return desc, false, fmt.Errorf("reading the exporter's image descriptor: %w", err)
	}
	return desc, true, nil
}

// indexLayout records the exported image in the layout's index.json, as
// BuildKit's client does for the directories it manages itself: under the
// image's names, or "latest" when it has none.
func indexLayout(dir string, resp map[string]string) error {
	desc, ok, err := exportedDescriptor(resp)
	if err != nil {
		return fmt.Errorf("output %s: %w", dir, err)
	}
	if !ok {
		return fmt.Errorf("output %s: the exporter returned no image descriptor", dir)
	}
	var names []string
	if n := resp["image.name"]; n != "" {
		names = strings.Split(n, ",")
	}
	return putIndex(dir, desc, names)
}

// putIndex records desc in the layout's index.json under names (normalized
// as BuildKit names them), or "latest" when there are none.
func putIndex(dir string, desc ocispec.Descriptor, names []string) error {
	tags := []ociindex.NameOrTag{ociindex.Tag("latest")}
	if len(names) > 0 {
		tags = nil
		for _, name := range names {
			tags = append(tags, ociindex.Name(name))
		}
	}
	if err := ociindex.NewStoreIndex(dir).Put(desc, tags...); err != nil {
		return fmt.Errorf("output %s: %w", dir, err)
	}
	return nil
}

// layoutNames are the names an OCI layout's index records the image
// under: the tags, normalized as BuildKit writes them.
func layoutNames(tags []string) []string {
	var names []string
	for _, t := range tags {
		if ref, err := imageref.Parse(t); err == nil {
			names = append(names, ref.Normalized())
		}
	}
	return names
}

func isTarball(dest string) bool {
	if strings.HasSuffix(dest, ".tar") {
		return true
	}
	fi, err := os.Stat(dest)
	return err == nil && fi.Mode().IsRegular()
}

func fileOutput(dest string) func(map[string]string) (io.WriteCloser, error) {
	return func(map[string]string) (io.WriteCloser, error) {
		if dir := filepath.Dir(dest); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
		return os.Create(dest)
	}
}

// allLoopback reports whether every tag names a registry on this host's
// loopback. Only those are pushed to over plain HTTP: the traffic never
// leaves the machine, and a test or offline registry rarely has TLS.
func allLoopback(tags []string) bool {
	for _, t := range tags {
		if !isLoopbackRef(t) {
			return false
		}
	}
	return len(tags) > 0
}

func isLoopbackRef(s string) bool {
	ref, err := imageref.Parse(s)
	if err != nil {
		return false
	}
	host := ref.Domain()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// cacheEntries converts specs, defaulting exports to mode=max so that a cold
// builder can reuse every step, not only the final image's layers.
func cacheEntries(specs []CacheSpec, export bool) []bkclient.CacheOptionsEntry {
	var out []bkclient.CacheOptionsEntry
	for _, s := range specs {
		attrs := map[string]string{}
		for k, v := range s.Attrs {
			attrs[k] = v
		}
		if export && s.Type != "inline" && attrs["mode"] == "" {
			attrs["mode"] = "max"
		}
		if s.Type == "registry" && attrs["ref"] != "" && isLoopbackRef(attrs["ref"]) && attrs["registry.insecure"] == "" {
			attrs["registry.insecure"] = "true"
		}
		out = append(out, bkclient.CacheOptionsEntry{Type: s.Type, Attrs: attrs})
	}
	return out
}
