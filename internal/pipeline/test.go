package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
	"github.com/ccf-ai-infra/macabox/internal/smoke/runner"
)

// SmokeOptions are the choices of a smoke run: the container's devices,
// whether device tests must run, and the reports.
type SmokeOptions struct {
	Device        DeviceOptions
	RequireDevice bool
	// Keep leaves the test container running and names it.
	Keep bool
	// Reports are --report FORMAT=FILE; none means text on Out.
	Reports []smoke.ReportSpec
	// Out receives reports written to "-"; Err progress and messages.
	Out, Err io.Writer
}

// TestOptions are `macabox test TARGET|IMAGE`.
type TestOptions struct {
	// Root is --root.
	Root string
	// Target is a recipe name or file, or an image built by macabox.
	Target string
	// Image is the image to test (default: the target's built image).
	Image string
	// Args are the build arguments the image was built with.
	Args  map[string]string
	Smoke SmokeOptions
}

// ErrTestsFailed is wrapped when tests ran and one failed (or a device test
// could not run although devices were required).
var ErrTestsFailed = errors.New("smoke tests failed")

// testsFailed says how many of the tests failed.
type testsFailed struct{ failed, total int }

func (e *testsFailed) Error() string {
	return fmt.Sprintf("%d of %d smoke tests failed", e.failed, e.total)
}

func (e *testsFailed) Is(target error) bool { return target == ErrTestsFailed }

// Test runs a target's smoke tests in its image and writes the reports.
func Test(ctx context.Context, o TestOptions) (*smoke.Report, error) {
	engine := newDockerEngine()
	defer engine.close()
	tt, err := testTarget(ctx, engine, o)
	if err != nil {
		return nil, err
	}
	cli, err := engine.ready(ctx)
	if err != nil {
		return nil, err
	}
	return smokeTest(ctx, cli, o.Smoke, planRun(tt.plan, tt.image, tt.refs))
}

// testedTarget is what a test run needs of its target: the plan, the
// image to run the tests in, and where the target's references are.
type testedTarget struct {
	plan  *plan.Plan
	image string
	refs  string
}

// testTarget finds the plan whose tests to run and the image to run them in.
// A target that is no recipe may be an image whose labels name one.
func testTarget(ctx context.Context, engine *dockerEngine, o TestOptions) (*testedTarget, error) {
	target, image := o.Target, o.Image
	tg, err := ResolveTarget(o.Root, target)
	if err != nil {
		if !errors.Is(err, ErrCannot) || image != "" {
			return nil, err
		}
		labels, lerr := imageLabels(ctx, engine, target)
		if lerr != nil {
			return nil, cannot("%q is neither a recipe nor a local image: %v", target, lerr)
		}
		recipeName := labels[plan.LabelTarget]
		if recipeName == "" {
			return nil, cannot("image %s was not built by macabox (no %s label): name its recipe and pass --image %s", target, plan.LabelTarget, target)
		}
		if tg, err = ResolveTarget(o.Root, recipeName); err != nil {
			return nil, err
		}
		image = target
	}
	p, err := plan.New(tg.Set, tg.Name, plan.Options{Args: o.Args})
	if err != nil {
		return nil, err
	}
	if image == "" {
		image = DefaultTag(p)[0]
	}
	return &testedTarget{plan: p, image: image, refs: referenceDir(tg.Set, p.Target)}, nil
}

// imageLabels reads a local image's labels.
func imageLabels(ctx context.Context, engine *dockerEngine, image string) (map[string]string, error) {
	cli, err := engine.ready(ctx)
	if err != nil {
		return nil, err
	}
	im, err := cli.Image(ctx, image)
	if errors.Is(err, docker.ErrNotFound) {
		return nil, fmt.Errorf("image %s is not in Docker's image store (build it with --load first)", image)
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting image %s: %w", image, err)
	}
	return im.Labels, nil
}

// planTests are a plan's smoke tests in the order they run: base chain,
// layers, stack.
func planTests(p *plan.Plan) []smoke.Test {
	tests := make([]smoke.Test, 0, len(p.Smoke))
	for _, t := range p.Smoke {
		tests = append(tests, t.Test)
	}
	return tests
}

// smokeRun is what is tested: a target's tests in an image, with the
// recipe's runtime wishes.
type smokeRun struct {
	target, image string
	tests         []smoke.Test
	simulated     bool
	runtime       plan.Runtime
}

// planRun is the smoke run of a planned target in image, its tests judged
// against the references under refs.
func planRun(p *plan.Plan, image, refs string) smokeRun {
	return smokeRun{
		target: p.Target, image: image, tests: withReferences(planTests(p), refs, p.Target),
		simulated: p.Simulated, runtime: p.Runtime,
	}
}

// smokeTest runs the tests and writes the reports. A failed test wraps
// ErrTestsFailed; a run that could not happen wraps ErrCannot.
func smokeTest(ctx context.Context, cli *docker.Client, o SmokeOptions, r smokeRun) (*smoke.Report, error) {
	box, err := o.container(r.runtime)
	if err != nil {
		return nil, err
	}
	rep, err := runSmoke(ctx, cli, o, r, box)
	if rep != nil {
		if werr := writeSmokeReports(rep, o); werr != nil {
			return rep, werr
		}
	}
	if err != nil {
		return rep, err
	}
	if !rep.OK() {
		sum := rep.Summary()
		return rep, &testsFailed{failed: sum.Failed + sum.Errors, total: sum.Total}
	}
	return rep, nil
}

// writeSmokeReports writes the reports o asks for, text on Out when it
// asks for none.
func writeSmokeReports(rep *smoke.Report, o SmokeOptions) error {
	specs := o.Reports
	if len(specs) == 0 {
		specs = []smoke.ReportSpec{{Format: smoke.FormatText, Path: "-"}}
	}
	if err := smoke.WriteReports(rep, specs, o.Out); err != nil {
		return cannot("writing reports: %w", err)
	}
	if rep.Container != "" {
		fmt.Fprintf(o.Err, "container kept: %s\n", rep.Container)
	}
	return nil
}

// testBox is how the test container is started: the device profile as
// resolved on this host, and the host directories mounted.
type testBox struct {
	spec  device.Spec
	binds []string
}

// container resolves the devices and mounts for the recipe's runtime
// wishes; done before any build, so a bad flag costs no build.
func (o SmokeOptions) container(rt plan.Runtime) (testBox, error) {
	spec, err := o.Device.spec(rt.Privileged, rt.ShmSize, o.Err)
	if err != nil {
		return testBox{}, err
	}
	binds, err := o.Device.binds()
	if err != nil {
		return testBox{}, err
	}
	return testBox{spec: spec, binds: binds}, nil
}

// runSmoke runs the tests in a container set up as box says, without
// reports.
func runSmoke(ctx context.Context, cli *docker.Client, o SmokeOptions, r smokeRun, box testBox) (*smoke.Report, error) {
	spec := box.spec
	fmt.Fprintf(o.Err, "testing %s in %s with %s\n", r.target, r.image, describeDevices(spec))
	reason := spec.NoDeviceReason
	if reason == "" && !spec.HasDevices() {
		reason = "no MACA device passed (--device none)"
	}
	rep, err := runner.Run(ctx, runner.Options{
		Docker: cli, Target: r.target, Image: r.image, Simulated: r.simulated,
		Container: containerSpec(spec, box.binds), Tests: r.tests,
		HasDevice: spec.HasDevices(), NoDeviceReason: reason, RequireDevice: o.RequireDevice,
		Keep: o.Keep, Progress: o.Err,
	})
	if err != nil {
		return rep, markCannot(device.ExplainRunError(err, spec))
	}
	if wantsReference(r.tests) {
		rep.Host = hostFacts(ctx, cli, o.Device.Roots)
	}
	return rep, nil
}
