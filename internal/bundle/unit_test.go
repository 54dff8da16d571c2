package bundle

import (
	"bytes"
	"compress/gzip"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// TestTestsRoundTrip: tests.json gives the smoke runner the very tests the
// recipes hold, with their origins.
func TestTestsRoundTrip(t *testing.T) {
	in := probeContents(t)
	data, err := encodeTests(in.Plan.Target, "", in.Tests)
	if err != nil {
		t.Fatal(err)
	}
	target, tests, err := decodeTests(data)
	if err != nil {
		t.Fatal(err)
	}
	if target != "probe-sim" || !reflect.DeepEqual(tests, in.Tests) {
		t.Fatalf("decoded %q with %+v\nwant probe-sim with %+v", target, tests, in.Tests)
	}
	for _, tt := range tests {
		if tt.Origin == "" || tt.Recipe == "" {
			t.Errorf("test %q lost its origin or recipe", tt.Name)
		}
	}
	if _, _, err := decodeTests([]byte(`{"schema":"macabox.tests/v1","tests":[{"name":"x"}]}`)); err == nil {
		t.Error("a test without a kind was accepted")
	}
	if _, _, err := decodeTests([]byte(`{"schema":"macabox.tests/v9","tests":[]}`)); err == nil {
		t.Error("an unknown schema was accepted")
	}
}

const sampleDockerfile = `# header
FROM example.com/base:1 AS base

# a comment
FROM base AS after-a
ARG SOURCE_DATE_EPOCH
ENV A="1"
RUN --mount=type=cache,target=/x \
    echo one \
 # a comment inside
 && echo two
COPY ["a", "/a"]

FROM example.com/tool:2 AS a.helper
RUN make

FROM after-a AS after-b
ARG SOURCE_DATE_EPOCH
RUN <<EOF
echo heredoc
EOF
COPY --from=a.helper /out /out
LABEL "k"="v"
`

// TestFinalChain: the instructions of the last stage and the stages it
// builds on, by BuildKit's reading of continuations, comments and heredocs;
// a Dockerfile BuildKit refuses gives none.
func TestFinalChain(t *testing.T) {
	chain := finalChain([]byte(sampleDockerfile))
	var got []string
	for _, ins := range chain {
		got = append(got, ins.Keyword+"@"+strconv.Itoa(ins.StartLine))
	}
	want := []string{"ARG@6", "ENV@7", "RUN@8", "COPY@12", "ARG@18", "RUN@19", "COPY@22", "LABEL@23"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("final chain %v, want %v", got, want)
	}
	if chain[2].EndLine != 11 || chain[5].EndLine != 21 {
		t.Errorf("the continued RUN ends at line %d, the heredoc at %d; want 11 and 21", chain[2].EndLine, chain[5].EndLine)
	}
	if got := finalChain([]byte("FROM scratch\nFROB x\n")); got != nil {
		t.Errorf("an unreadable Dockerfile gave the chain %+v", got)
	}
}

func TestLayerOrigins(t *testing.T) {
	im := &builder.LayoutImage{Config: ocispec.Image{History: []ocispec.History{
		{CreatedBy: "ADD rootfs.tar /"},
		{CreatedBy: "CMD [\"bash\"]", EmptyLayer: true},
		{CreatedBy: "ARG SOURCE_DATE_EPOCH=1", EmptyLayer: true},
		{CreatedBy: "ENV A=1", EmptyLayer: true},
		{CreatedBy: "RUN |1 SOURCE_DATE_EPOCH=1 /bin/sh -c echo one && echo two # buildkit"},
		{CreatedBy: "COPY a /a # buildkit"},
		{CreatedBy: "ARG SOURCE_DATE_EPOCH=1", EmptyLayer: true},
		{CreatedBy: "RUN |1 SOURCE_DATE_EPOCH=1 /bin/sh -c echo heredoc # buildkit"},
		{CreatedBy: "COPY /out /out # buildkit"},
		{CreatedBy: "LABEL k=v", EmptyLayer: true},
	}}}
	got := layerOrigins(im, []byte(sampleDockerfile))
	want := []layerOrigin{{Base: true}, {Line: 8, Instruction: "RUN"}, {Line: 12, Instruction: "COPY"}, {Line: 19, Instruction: "RUN"}, {Line: 22, Instruction: "COPY"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("origins %+v, want %+v", got, want)
	}
	// A history that does not line up keeps no lines rather than wrong ones.
	im.Config.History[5].CreatedBy = "RUN something else"
	for _, o := range layerOrigins(im, []byte(sampleDockerfile)) {
		if o.Line != 0 {
			t.Errorf("mismatched history still mapped a layer to line %d", o.Line)
		}
	}
}

func TestListingRoundTripAndDiff(t *testing.T) {
	want := []fileEntry{
		{Path: "etc", Type: 'd', Mode: 0o755, Mtime: 5},
		{Path: "etc/a\tb", Type: 'f', Mode: 0o644, Size: 3, Mtime: 5, Digest: strings.Repeat("1", 64)},
		{Path: "etc/link", Type: 'l', Mode: 0o777, Mtime: 5, Link: "a\tb"},
		{Path: "etc/gone", Type: 'f', Mode: 0o600, UID: 1, GID: 2, Mtime: 5, Digest: strings.Repeat("2", 64)},
		{Path: "dev/null", Type: 'c', Mode: 0o666, Link: "1,3"},
	}
	data, err := encodeListing(want)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := encodeListing(want)
	if string(again) != string(data) {
		t.Error("the same listing encodes to different bytes")
	}
	got, err := decodeListing(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listing round trip:\n got %+v\nwant %+v", got, want)
	}
	changed := append([]fileEntry(nil), want[:3]...)
	changed[1].Digest, changed[1].Size = strings.Repeat("9", 64), 4
	changed[2].Mtime = 6
	changed = append(changed, fileEntry{Path: "etc/new", Type: 'f', Digest: "x"})
	var lines []string
	for _, c := range diffListings(want, changed) {
		lines = append(lines, c.Path+": "+c.Change)
	}
	wantLines := []string{"dev/null: removed", "etc/a\tb: content, size", "etc/gone: removed", "etc/link: mtime", "etc/new: added"}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("diff %q, want %q", lines, wantLines)
	}
}

func TestInventory(t *testing.T) {
	inv := newInventory()
	inv.step = 3
	status := "Package: base-files\nStatus: install ok installed\nVersion: 12.4\n\n" +
		"Package: jq\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6-2.1\nDescription: json\n tool\n\n" +
		"Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n"
	for p, data := range map[string]string{
		"var/lib/dpkg/status":             status,
		"var/lib/dpkg/info/jq:amd64.list": "/usr/bin/jq\n",
		"var/lib/dpkg/info/gone.list":     "",
		"opt/conda/lib/python3.11/site-packages/demo-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: Demo\nVersion: 0.1\n\nlong description",
		"opt/conda/lib/python3.11/site-packages/old-1.0.dist-info/METADATA":  "Name: old\nVersion: 1.0\n",
		"opt/conda/conda-meta/numpy-1.26.4-py311.json":                       `{"name": "numpy", "version": "1.26.4"}`,
	} {
		if !inv.wants(p) {
			t.Errorf("the inventory does not read %s", p)
		}
		inv.add(p, []byte(data))
	}
	if inv.wants("usr/share/doc/jq/copyright") {
		t.Error("the inventory reads files it has no use for")
	}
	inv.step = 4
	inv.whiteout("opt/conda/lib/python3.11/site-packages/.wh.old-1.0.dist-info")
	var got []string
	for _, p := range inv.packages() {
		got = append(got, p.Manager+" "+p.Name+" "+p.Version)
	}
	want := []string{"conda numpy 1.26.4", "dpkg jq 1.6-2.1", "python Demo 0.1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages %q, want %q", got, want)
	}
}

func TestBases(t *testing.T) {
	d := "sha256:" + strings.Repeat("e", 64)
	got := bases(
		[]string{"debian:12", "cr.example.com/maca:3@" + d, "sim:1", "other:2"},
		map[string]builder.NamedContext{
			"sim:1":   {OCILayout: "/oci", Digest: d},
			"other:2": {Image: "127.0.0.1:5000/other:2"},
		},
		map[string]string{"docker.io/library/debian:12": d},
	)
	want := []Base{
		{Ref: "debian:12", Digest: d, Source: SourceRegistry},
		{Ref: "cr.example.com/maca:3@" + d, Digest: d, Source: SourceRegistry},
		{Ref: "sim:1", Digest: d, Source: SourceOCILayout},
		{Ref: "other:2", Image: "127.0.0.1:5000/other:2", Source: SourceRegistry},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bases:\n got %+v\nwant %+v", got, want)
	}
	if p := got[1].Pull(); p != "cr.example.com/maca:3@"+d {
		t.Errorf("Pull() = %s", p)
	}
	if p := got[3].Pull(); p != "127.0.0.1:5000/other:2" {
		t.Errorf("Pull() = %s", p)
	}
}

// TestListingIsCapped: a layer listing comes from the bundle, so what it
// decompresses to is capped in bytes and in entries.
func TestListingIsCapped(t *testing.T) {
	long := strings.Repeat("p", 60<<10) + "\tf0644\t0:0\t0\t0\t-\n"
	short := "p\tf0\t0:0\t0\t0\t-\n"
	for name, lines := range map[string]struct {
		line string
		n    int
	}{
		"bytes":   {long, maxListingBytes/len(long) + 1},
		"entries": {short, maxListingEntries + 1},
	} {
		pr, pw := io.Pipe()
		go func() {
			zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
			_, err := io.WriteString(zw, listingHeader)
			for i := 0; i < lines.n && err == nil; i++ {
				_, err = io.WriteString(zw, lines.line)
			}
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
		entries, err := decodeListing(pr)
		pr.Close()
		if err == nil {
			t.Errorf("%s: a listing of %d lines decoded to %d entries", name, lines.n, len(entries))
		}
	}
}
