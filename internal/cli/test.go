package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

type testOptions struct {
	*globalOptions
	testFlags
	target string
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
exists. Without a device, tests marked "needs: [device]" are reported as skipped
with the reason, unless --require-device makes that a failure.

Exit status: 0 when every test that ran passed, 1 when one failed (or a device test
could not run under --require-device), 2 when the tests could not be run at all.`,
		Example: `  # on a MetaX host: all GPUs, a JUnit report for CI and a Markdown one for the PR
  macabox test mineru-maca3 --report junit=out/junit.xml --report md=out/report.md

  # only GPUs 0 and 2, and fail if there is no device
  macabox test vllm-metax-maca3 --gpus 0,2 --require-device

  # test an image built elsewhere, keep the container to look around
  macabox test registry.example.com/ai/mineru:maca3 --keep

  # give the tests a model directory from the host
  macabox test vllm-metax-maca3 --mount /data/models:/opt/macabox/models:ro`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.target = args[0]
			return runTest(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.image, "image", "", "image to test (default: the target's built image)")
	f.StringArrayVar(&o.sets, "set", nil, "build arguments the image was built with, NAME=VALUE (they can change the tests)")
	o.testFlags.bind(f)
	return cmd
}

func runTest(ctx context.Context, o *testOptions, s Streams) error {
	specs, err := o.reportSpecs()
	if err != nil {
		return err
	}
	args, err := parseSets(o.sets)
	if err != nil {
		return err
	}
	p, image, err := o.resolve(ctx, args)
	if err != nil {
		return err
	}
	return smokeTest(ctx, &o.testFlags, s, p, image, specs)
}

// resolve finds the plan whose tests to run and the image to run them in.
func (o *testOptions) resolve(ctx context.Context, args map[string]string) (*plan.Plan, string, error) {
	target, image := o.target, o.image
	set, name, err := resolveTarget(o.globalOptions, target)
	if err != nil {
		var ee *exitError
		if !asExit(err, &ee) || ee.code != ExitCannot || image != "" {
			return nil, "", err
		}
		// Not a recipe: an image, whose labels name the recipe it came from.
		labels, lerr := smoke.ImageLabels(ctx, target)
		if lerr != nil {
			return nil, "", cannot("%q is neither a recipe nor a local image: %v", target, lerr)
		}
		recipeName := labels[plan.LabelTarget]
		if recipeName == "" {
			return nil, "", cannot("image %s was not built by macabox (no %s label): name its recipe and pass --image %s", target, plan.LabelTarget, target)
		}
		if set, name, err = resolveTarget(o.globalOptions, recipeName); err != nil {
			return nil, "", err
		}
		image = target
	}
	p, err := plan.New(set, name, plan.Options{Args: args})
	if err != nil {
		return nil, "", problems(err)
	}
	if image == "" {
		image = pipeline.DefaultTag(p)[0]
	}
	return p, image, nil
}

// smokeTest runs the plan's tests in image and writes the reports. A failed
// test is exit 1; a run that could not happen is exit 2.
func smokeTest(ctx context.Context, t *testFlags, s Streams, p *plan.Plan, image string, specs []smoke.ReportSpec) error {
	spec, err := t.deviceSpec(p.Runtime.Privileged, p.Runtime.ShmSize)
	if err != nil {
		return err
	}
	for _, w := range spec.Warnings {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
	}
	fmt.Fprintf(s.Err, "testing %s in %s with %s\n", p.Target, image, describeDevices(spec))
	binds, err := t.binds()
	if err != nil {
		return err
	}
	opts := pipeline.SmokeOptions(p.Target, image, pipeline.Cases(p), spec)
	opts.Container.Binds = binds
	opts.RequireDevice, opts.Keep, opts.Progress = t.requireDevice, t.keep, s.Err
	opts.Simulated = p.Simulated
	rep, runErr := smoke.Run(ctx, opts)
	if rep != nil {
		if len(specs) == 0 {
			specs = []smoke.ReportSpec{{Format: smoke.FormatText, Path: "-"}}
		}
		if err := smoke.WriteReports(rep, specs, s.Out); err != nil {
			return cannot("writing reports: %w", err)
		}
		if rep.Container != "" {
			fmt.Fprintf(s.Err, "container kept: %s\n", rep.Container)
		}
	}
	if runErr != nil {
		var refused *smoke.UlimitRefusedError
		if errors.As(runErr, &refused) {
			return cannot("%w", runErr) // already says what to lower
		}
		return cannot("%w", device.ExplainRunError(runErr, spec))
	}
	if !rep.OK() {
		sum := rep.Summary()
		return problems(fmt.Errorf("%d of %d smoke tests failed", sum.Failed+sum.Errors, sum.Total))
	}
	return nil
}
