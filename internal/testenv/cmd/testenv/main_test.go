package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	for _, c := range []struct {
		args       []string
		code       int
		stderrHas  string
		stdoutHelp bool
	}{
		{args: nil, code: 0, stdoutHelp: true},
		{args: []string{"help"}, code: 0, stdoutHelp: true},
		{args: []string{"bogus"}, code: exitUsage, stderrHas: "scripts/testenv.sh check-repro"},
		{args: []string{"start-buildkitd"}, code: exitUsage, stderrHas: "usage: scripts/testenv.sh start-buildkitd NAME"},
		{args: []string{"stop-buildkitd", "a", "b"}, code: exitUsage, stderrHas: "usage: scripts/testenv.sh stop-buildkitd NAME"},
		{args: []string{"up", "extra"}, code: exitUsage, stderrHas: "usage: scripts/testenv.sh up\n"},
		{args: []string{"-repo", "/nonexistent", "status"}, code: 1, stderrHas: "/nonexistent is not a macabox checkout"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != c.code {
			t.Errorf("%q: exit %d, want %d; stderr:\n%s", c.args, code, c.code, stderr.String())
		}
		if c.stdoutHelp != strings.Contains(stdout.String(), "MACABOX_START_TIMEOUT") {
			t.Errorf("%q: usage on stdout = %v, want %v", c.args, !c.stdoutHelp, c.stdoutHelp)
		}
		if !strings.Contains(stderr.String(), c.stderrHas) {
			t.Errorf("%q: stderr lacks %q:\n%s", c.args, c.stderrHas, stderr.String())
		}
	}
}
