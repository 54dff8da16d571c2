package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type testOptions struct {
	*globalOptions
	testFlags
	matrix matrixFlags
	image  string
	sets   []string
}

func newTestCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &testOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "test TARGET|IMAGE",
		Short: "Run a target's smoke tests in a container with MACA devices passed through",
		Long: `Test starts one container of the target's image with the device profile, runs the
smoke tests of the base chain, the layers and the stack in order inside it, removes
the container (also on failure, timeout and Ctrl-C) and reports.

TARGET is a recipe name or file; its image is --image, else the name "macabox build"
gives it (the stack's tags, else macabox.local/TARGET:latest). An IMAGE built by
macabox is matched to its recipe through its labels.

Devices: --device maca passes /dev/mxcd (and mxnd, mxgd, infiniband when present),
the DRI nodes of all GPUs or of those chosen with --gpus, the nodes' group ids,
CUDA_VISIBLE_DEVICES and MACA_VISIBLE_DEVICES, shm size, memlock and stack
ulimits and seccomp=unconfined. --device auto (the default) does so when /dev/mxcd
exists. --device nvidia passes NVIDIA GPUs instead, to run the same tests on a CUDA
host (see "macabox reference record"). Without a device, tests marked
"needs: [device]" are reported as skipped with the reason, unless --require-device
makes that a failure.

Tests with compare: or bench: are judged against the references recorded beside
the recipe (refs/<target>/); one without a recorded reference fails, saying how
to record it.

A Matrix target tests every cell in the image its build made, one after the other;
each --report FILE is written per cell as FILE with the cell's name before its
extension, and the summary of the cells is shown on stderr and written where
--summary says.

Exit status: 0 when every test that ran passed, 1 when one failed (or a device test
could not run under --require-device, or a matrix cell could not be tested), 2 when
the tests could not be run at all.`,
		Example: `  # on a MetaX host: all GPUs, a JUnit report for CI and a Markdown one for the PR
  macabox test mineru-maca3 --report junit=out/junit.xml --report md=out/report.md

  # only GPUs 0 and 2, and fail if there is no device
  macabox test vllm-metax-maca3 --gpus 0,2 --require-device

  # test an image built elsewhere, keep the container to look around
  macabox test registry.example.com/ai/mineru:maca3 --keep

  # give the tests a model directory from the host
  macabox test vllm-metax-maca3 --mount /data/models:/opt/macabox/models:ro

  # every cell of a matrix, a JUnit report per cell and one summary
  macabox test mineru-lines --report junit=out/junit.xml --summary md=out/matrix.md`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd.Context(), o, args[0], s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.image, "image", "", "image to test (default: the target's built image)")
	f.StringArrayVar(&o.sets, "set", nil, "build arguments the image was built with, NAME=VALUE (they can change the tests)")
	o.testFlags.bind(f)
	o.matrix.bind(f)
	return cmd
}

func runTest(ctx context.Context, o *testOptions, target string, s Streams) error {
	smokeOpts, err := o.testFlags.options(s)
	if err != nil {
		return err
	}
	args, err := parseSets(o.sets)
	if err != nil {
		return err
	}
	to := pipeline.TestOptions{Root: o.root, Target: target, Image: o.image, Args: args, Smoke: smokeOpts}
	if matrix, err := o.matrix.run(ctx, pipeline.MatrixOptions{Verb: pipeline.MatrixTest, Test: to}, s); matrix {
		return err
	}
	_, err = pipeline.Test(ctx, to)
	return outcome(err)
}
