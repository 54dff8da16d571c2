package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type recordOptions struct {
	*globalOptions
	testFlags
	image  string
	sets   []string
	asJSON bool
}

func newReferenceCommand(g *globalOptions, s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reference",
		Short: "Record results on a reference platform (CUDA or CPU) that MACA runs are compared with",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newRecordCommand(g, s))
	return cmd
}

func newRecordCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &recordOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "record TARGET --image REF_IMAGE",
		Short: "Run a target's compare and bench tests on a reference image and store their results",
		Long: `Record runs the tests of TARGET that have compare: or bench: in a container of
REF_IMAGE (a CUDA image on an NVIDIA host with --device nvidia, or a CPU image), and
writes what each test captured or measured to refs/<target>/<test>.json beside the
target's recipe, with its provenance: the image's ID and digests, the device profile,
the GPU model and driver the container saw, the host's facts and the date. Commit
these files with the recipe: "macabox test" on MACA compares with them.

A test that fails or is skipped on the reference records nothing (an older record
stays) and makes the exit status 1. Reports (--report) are those of "macabox test".`,
		Example: `  # on a CUDA host: record the references of a stack from the upstream CUDA image
  macabox reference record mineru-maca3 --image opendatalab/mineru:cuda --device nvidia

  # only GPUs 0 and 1 of the NVIDIA host
  macabox reference record vllm-metax-maca3 --image vllm/vllm-openai:v0.10.1 --device nvidia --gpus 0,1

  # a CPU reference, and what was written as JSON
  macabox reference record demo --image debian:bookworm --device none --json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRecord(cmd.Context(), o, args[0], s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.image, "image", "", "the reference image to run the tests in (required)")
	f.StringArrayVar(&o.sets, "set", nil, "build arguments the tests are planned with, NAME=VALUE")
	f.BoolVar(&o.asJSON, "json", false, "print the files written (and the tests not recorded) as JSON")
	o.testFlags.bind(f)
	return cmd
}

// recorded is what --json prints.
type recorded struct {
	Dir     string   `json:"dir"`
	Files   []string `json:"files"`
	Skipped []string `json:"notRecorded,omitempty"`
}

func runRecord(ctx context.Context, o *recordOptions, target string, s Streams) error {
	smokeOpts, err := o.testFlags.options(s)
	if err != nil {
		return err
	}
	if o.asJSON && len(smokeOpts.Reports) == 0 {
		// The test report goes to people; stdout is for the JSON.
		smokeOpts.Out = s.Err
	}
	args, err := parseSets(o.sets)
	if err != nil {
		return err
	}
	res, err := pipeline.RecordReferences(ctx, pipeline.ReferenceOptions{
		Root: o.root, Target: target, Image: o.image, Args: args, Smoke: smokeOpts, Version: readVersion().Version,
	})
	if res != nil {
		out := recorded{Dir: pipeline.RelPath(res.Dir), Files: []string{}, Skipped: res.Skipped}
		for _, f := range res.Files {
			out.Files = append(out.Files, pipeline.RelPath(f))
		}
		if o.asJSON {
			enc := json.NewEncoder(s.Out)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(out); jerr != nil {
				return cannot("%w", jerr)
			}
		} else {
			for _, f := range out.Files {
				fmt.Fprintln(s.Out, f)
			}
		}
		for _, sk := range res.Skipped {
			fmt.Fprintf(s.Err, "not recorded: %s\n", sk)
		}
	}
	return outcome(err)
}
