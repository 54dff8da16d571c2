package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/escape"
)

type verifyOptions struct {
	bundle string
	json   bool
}

func newVerifyCommand(s Streams) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify BUNDLE",
		Short: "Check a bundle against its SHA256SUMS, as a closed world",
		Long: `Verify checks a bundle directory or .tar.gz: every file SHA256SUMS lists must be
there with that digest, no other file may be, and the Dockerfile must be one
macabox rendered (it starts with macabox's header and names no frontend image).
Every added, removed or changed file is named, up to 100 problems.
The in-toto statement (attestation.intoto.json), the one file SHA256SUMS does not
list, must name the image expected.json records, the digest of this SHA256SUMS and
the recipe inputs; verify says what it names, or where it disagrees.

A tarball is read as a stream, without extracting anything: symbolic and hard
links, device files, absolute paths, ".." components, modes other than 0644 and
0755 (setuid, setgid and sticky bits included), extended attributes, and data
after the end of the archive or of the gzip stream are refused by name. Inside a
directory, links and special files are refused the same way, never followed, and
so are setuid, setgid and sticky bits.

A bundle is at most 1 GiB (every byte read counts: headers, names, link targets,
contents) and 20,000 entries; verify stops at the first limit reached, so its
time and memory stay bounded whatever the bundle. No daemon is needed.

Exit status: 0 the bundle is intact, 1 it is not, 2 it could not be read.`,
		Example: `  macabox verify demo-bundle.tar.gz
  macabox verify bundle/ --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.bundle = args[0]
			return runVerify(cmd.Context(), o, s)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the result as JSON")
	return cmd
}

func runVerify(ctx context.Context, o *verifyOptions, s Streams) error {
	v, err := bundle.Verify(ctx, o.bundle)
	if err != nil {
		return cannot("%w", err)
	}
	if o.json {
		problems := v.Problems
		if problems == nil {
			problems = []bundle.Problem{}
		}
		out := map[string]any{"bundle": o.bundle, "ok": v.OK(), "files": v.Files, "problems": problems, "omitted": v.Omitted}
		if a := v.Statement; a != nil {
			out["statement"] = map[string]string{"image": a.Image, "imageDigest": a.ImageDigest, "sha256sums": a.SumsSHA256}
		}
		data, err := escape.MarshalJSON(out)
		if err != nil {
			return err
		}
		if _, err := s.Out.Write(data); err != nil {
			return err
		}
	} else {
		// Names and details quote the bundle: printed as text, never as
		// escape sequences or extra lines.
		for _, p := range v.Problems {
			escape.Fprintf(s.Out, "%s\n", p)
		}
		if v.Omitted > 0 {
			escape.Fprintf(s.Out, "… and %d more problem%s\n", v.Omitted, plural(v.Omitted))
		}
		if v.OK() {
			escape.Fprintf(s.Out, "ok: %d files match SHA256SUMS, and there is no other file\n", v.Files)
		}
		if a := v.Statement; a != nil && v.OK() {
			escape.Fprintf(s.Out, "statement: names image %s (%s) and SHA256SUMS sha256:%s (unsigned)\n", a.Image, a.ImageDigest, a.SumsSHA256)
		}
	}
	if !v.OK() {
		n := len(v.Problems) + v.Omitted
		return problems(fmt.Errorf("bundle %s: %d problem%s", o.bundle, n, plural(n)))
	}
	return nil
}
