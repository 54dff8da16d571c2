package builder

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const sampleDockerfile = "# escape=\\\n" + `# header
ARG BASE=example.com/base:1
FROM ${BASE} AS base

# a comment
FROM base AS after-a
ENV A="1"
RUN --mount=type=cache,target=/x \
    echo one \
 # a comment inside
 && echo two
COPY ["a", "/a"]

FROM example.com/tool:2
RUN make

from after-a AS After-B
RUN <<EOF
echo heredoc
EOF
COPY --from=1 /out /out
`

func TestParseDockerfile(t *testing.T) {
	df, err := ParseDockerfile([]byte(sampleDockerfile))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ins := range df.Instructions {
		got = append(got, ins.Keyword+"@"+strconv.Itoa(ins.StartLine)+"-"+strconv.Itoa(ins.EndLine)+"/"+strconv.Itoa(ins.Stage))
	}
	want := []string{"ARG@3-3/-1", "FROM@4-4/0", "FROM@7-7/1", "ENV@8-8/1", "RUN@9-12/1", "COPY@13-13/1",
		"FROM@15-15/2", "RUN@16-16/2", "FROM@18-18/3", "RUN@19-21/3", "COPY@22-22/3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("instructions\n got %v\nwant %v", got, want)
	}
	if run := df.Instructions[4].Original; run != "RUN --mount=type=cache,target=/x \\\n    echo one \\\n # a comment inside\n && echo two" {
		t.Errorf("continued RUN as written: %q", run)
	}
	if heredoc := df.Instructions[9].Original; heredoc != "RUN <<EOF\necho heredoc\nEOF" {
		t.Errorf("heredoc RUN as written: %q", heredoc)
	}
	wantStages := []DockerfileStage{
		{Index: 0, Name: "base", Base: "${BASE}", Line: 4},
		{Index: 1, Name: "after-a", Base: "base", Line: 7},
		{Index: 2, Base: "example.com/tool:2", Line: 15},
		{Index: 3, Name: "after-b", Base: "after-a", Line: 18},
	}
	if !reflect.DeepEqual(df.Stages, wantStages) {
		t.Errorf("stages\n got %+v\nwant %+v", df.Stages, wantStages)
	}
	if want := []DockerfileDirective{{Name: "escape", Value: "\\", Line: 1}}; !reflect.DeepEqual(df.Directives, want) {
		t.Errorf("directives %+v, want %+v", df.Directives, want)
	}
	// BuildKit's lint rules run while the instructions are read: here a
	// FROM and AS in different cases, and a stage name in capitals.
	rules := map[string]int{}
	for _, w := range df.Warnings {
		rules[w.Rule] = w.Line
	}
	if rules["FromAsCasing"] != 18 || rules["StageNameCasing"] != 18 {
		t.Errorf("warnings %+v, want FromAsCasing and StageNameCasing at line 18", df.Warnings)
	}
}

// TestParseDockerfileRefuses: what BuildKit refuses before building is
// refused here too, with the line.
func TestParseDockerfileRefuses(t *testing.T) {
	for src, want := range map[string]string{
		"":                                  "no instructions",
		"FROM scratch\nFROB x\n":            "unknown instruction",
		"FROM scratch\nRUN <<EOF\necho\n":   "line 2",
		"FROM a AS 1bad\n":                  "invalid name for build stage",
		"FROM scratch\nCOPY --nope=1 a b\n": "unknown flag",
		"# escape=x\n# escape=y\nFROM a\n":  "only one escape",
		"RUN true\n":                        "no build stage",
	} {
		_, err := ParseDockerfile([]byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDockerfile(%q) = %v; want an error saying %q", src, err, want)
		}
	}
}

// TestDockerfileFrontend: a frontend image is found wherever the
// dockerfile.v0 frontend would find one and forward the build to it, not
// only in a "# syntax=" line at the top; ParseDockerfile reports it too.
func TestDockerfileFrontend(t *testing.T) {
	const image = "example.com/frontend:1"
	for name, src := range map[string]string{
		"directive":       "# syntax=" + image + "\nFROM scratch\n",
		"after escape":    "# escape=`\n# syntax = " + image + " --flag\nFROM scratch\n",
		"after a shebang": "#!/usr/bin/env buildctl\n# syntax=" + image + "\nFROM scratch\n",
		"after a BOM":     "\ufeff# syntax=" + image + "\nFROM scratch\n",
		"// comment":      "// syntax=" + image + "\n",
		"JSON":            `{"syntax": "` + image + `"}`,
	} {
		if got := DockerfileFrontend([]byte(src)); got != image {
			t.Errorf("%s: frontend %q, want %q", name, got, image)
		}
		if df, err := ParseDockerfile([]byte(src)); err == nil && df.Frontend != image {
			t.Errorf("%s: ParseDockerfile's frontend %q, want %q", name, df.Frontend, image)
		}
	}
	src := "# Generated: no directive\n# syntax=" + image + "\nFROM scratch\n"
	df, err := ParseDockerfile([]byte(src))
	if err != nil || df.Frontend != "" || len(df.Directives) != 0 || DockerfileFrontend([]byte(src)) != "" {
		t.Errorf("a syntax line after a comment is no directive, yet: %+v, %v", df, err)
	}
}
