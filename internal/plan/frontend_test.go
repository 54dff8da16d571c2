package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// These helpers hand a rendered Dockerfile to BuildKit v0.34's own
// dockerfile frontend (the code buildkitd embeds as dockerfile.v0) and read
// back the LLB it produces: the exact argv and environment of every RUN,
// the file operations of COPY and ADD, the image config. No daemon is
// involved; base images resolve to a small fake config.

// baseEnv is the environment the fake base images declare.
var baseEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

type fakeResolver struct{}

func (fakeResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Env": baseEnv},
		"rootfs":       map[string]any{"type": "layers"},
	})
	return ref, digest.FromBytes(cfg), cfg, err
}

// converted is what the frontend made of a Dockerfile.
type converted struct {
	image    *dockerspec.DockerOCIImage
	execs    []execOp
	files    []fileOp
	sources  []*pb.SourceOp
	warnings []string
}

type execOp struct {
	line   int // first Dockerfile line of the instruction
	meta   *pb.Meta
	mounts []*pb.Mount
	net    pb.NetMode
}

type fileOp struct {
	line int
	op   *pb.FileOp
}

// convert runs the frontend over df with every stage built, as a build with
// SOURCE_DATE_EPOCH would.
func convert(t *testing.T, df []byte) converted {
	t.Helper()
	ctx := context.Background()
	var out converted
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, df, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{BuildArgs: map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}},
		MetaResolver: fakeResolver{},
		SourceMap:    llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", df),
		AllStages:    true,
		Warn: func(rule, _, _, msg string, _ []parser.Range) {
			out.warnings = append(out.warnings, rule+": "+msg)
		},
	})
	if err != nil {
		t.Fatalf("BuildKit's dockerfile frontend rejects the Dockerfile: %v\n%s", err, numbered(df))
	}
	out.image = res.Image
	def, err := res.State.Marshal(ctx, llb.LinuxAmd64)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	if def.Source != nil {
		for dgst, locs := range def.Source.Locations {
			for _, l := range locs.Locations {
				for _, r := range l.Ranges {
					if lines[dgst] == 0 || int(r.Start.Line) < lines[dgst] {
						lines[dgst] = int(r.Start.Line)
					}
				}
			}
		}
	}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		line := lines[digest.FromBytes(dt).String()]
		switch {
		case op.GetExec() != nil:
			e := op.GetExec()
			out.execs = append(out.execs, execOp{line: line, meta: e.Meta, mounts: e.Mounts, net: e.Network})
		case op.GetFile() != nil:
			out.files = append(out.files, fileOp{line: line, op: op.GetFile()})
		case op.GetSource() != nil:
			out.sources = append(out.sources, op.GetSource())
		}
	}
	slices.SortStableFunc(out.execs, func(a, b execOp) int { return a.line - b.line })
	slices.SortStableFunc(out.files, func(a, b fileOp) int { return a.line - b.line })
	return out
}

// unexpectedWarnings drops the lint warnings a rendered Dockerfile is allowed
// to cause: a reference to an inherited variable such as LD_LIBRARY_PATH,
// which the fake base does not set.
func unexpectedWarnings(ws []string) []string {
	var out []string
	for _, w := range ws {
		allowed := false
		for _, name := range recipe.InheritedEnv() {
			if w == "UndefinedVar: Usage of undefined variable '$"+name+"'" {
				allowed = true
			}
		}
		if !allowed {
			out = append(out, w)
		}
	}
	return out
}

// envOf returns the value of name in a KEY=VALUE list.
func envOf(env []string, name string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

func numbered(df []byte) string {
	var b strings.Builder
	for i, l := range strings.Split(string(df), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}
