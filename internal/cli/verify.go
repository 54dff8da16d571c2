package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
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
there with that digest, and no other file may be. Every added, removed or changed
file is named. The in-toto statement (attestation.intoto.json), the one file
SHA256SUMS does not list, must name the image expected.json records, the digest of
this SHA256SUMS and the recipe inputs; verify says what it names, or where it
disagrees.

A tarball is read without extracting anything: symbolic and hard links, device
files, absolute paths and ".." components are refused by name. Inside a directory,
links and special files are refused the same way, never followed.

Exit status: 0 the bundle is intact, 1 it is not, 2 it could not be read.`,
		Example: `  macabox verify demo-bundle.tar.gz
  macabox verify bundle/ --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.bundle = args[0]
			return runVerify(o, s)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the result as JSON")
	return cmd
}

func runVerify(o *verifyOptions, s Streams) error {
	v, err := bundle.Verify(o.bundle)
	if err != nil {
		return cannot("%w", err)
	}
	if o.json {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		problems := v.Problems
		if problems == nil {
			problems = []bundle.Problem{}
		}
		out := map[string]any{"bundle": o.bundle, "ok": v.OK(), "files": v.Files, "problems": problems}
		if a := v.Statement; a != nil {
			out["statement"] = map[string]string{"image": a.Image, "imageDigest": a.ImageDigest, "sha256sums": a.SumsSHA256}
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, p := range v.Problems {
			fmt.Fprintln(s.Out, p)
		}
		if v.OK() {
			fmt.Fprintf(s.Out, "ok: %d files match SHA256SUMS, and there is no other file\n", v.Files)
		}
		if a := v.Statement; a != nil && v.OK() {
			fmt.Fprintf(s.Out, "statement: names image %s (%s) and SHA256SUMS sha256:%s (unsigned)\n", a.Image, a.ImageDigest, a.SumsSHA256)
		}
	}
	if !v.OK() {
		return problems(fmt.Errorf("bundle %s: %d problem%s", o.bundle, len(v.Problems), plural(len(v.Problems))))
	}
	return nil
}
