package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

type runOptions struct {
	*globalOptions
	testFlags
	target string
	image  string
	cmd    []string
	print  bool
	name   string
}

func newRunCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &runOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "run TARGET|IMAGE [-- CMD...]",
		Short: "Start a container with the MACA device profile, or print its docker run line",
		Long: `Run starts a container of a target's image (or of any image) with the same device
profile "macabox test" uses: the MACA control nodes, the DRI nodes of the chosen GPUs,
their group ids, CUDA_VISIBLE_DEVICES and MACA_VISIBLE_DEVICES, shm size, memlock and
stack ulimits, seccomp=unconfined. It is interactive when stdin is a terminal, and
the container is removed when it exits. The exit status is the command's.

--print prints the equivalent "docker run" command line instead, quoted so that it
can be pasted into a shell as is.`,
		Example: `  # a shell in the MinerU image with GPUs 0 and 1
  macabox run mineru-maca3 --gpus 0,1

  # one command
  macabox run maca-3.0 -- mx-smi -L

  # the docker run line for a deploy script
  macabox run vllm-metax-maca3 --print -- vllm serve /models/Qwen3-8B --port 8000`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.target, o.cmd = args[0], args[1:]
			if at := cmd.ArgsLenAtDash(); at > 1 {
				return cannot("run takes one TARGET|IMAGE before --, got %d", at)
			}
			return runRun(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.image, "image", "", "image to run (default: the target's built image)")
	f.BoolVar(&o.print, "print", false, "print the equivalent docker run command instead of running it")
	f.StringVar(&o.name, "name", "", "container name")
	o.testFlags.bind(f)
	return cmd
}

func runRun(ctx context.Context, o *runOptions, s Streams) error {
	image, rt, err := o.resolveImage(ctx)
	if err != nil {
		return err
	}
	spec, err := o.deviceSpec(rt.Privileged, rt.ShmSize)
	if err != nil {
		return err
	}
	for _, w := range spec.Warnings {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
	}
	binds, err := o.binds()
	if err != nil {
		return err
	}
	argv := dockerRunArgv(spec, binds, image, o.name, o.cmd, isTerminal(s.In))
	if o.print {
		fmt.Fprintln(s.Out, device.ShellJoin(argv))
		return nil
	}
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = s.In, s.Out, s.Err
	err = c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return &exitError{code: ee.ExitCode(), err: errSilent}
	}
	return cannot("running docker: %w", err)
}

// resolveImage finds the image for TARGET|IMAGE and the recipe's runtime wishes.
func (o *runOptions) resolveImage(ctx context.Context) (string, plan.Runtime, error) {
	set, name, err := resolveTarget(o.globalOptions, o.target)
	if err != nil {
		var ee *exitError
		if asExit(err, &ee) && ee.code == ExitCannot {
			// Not a recipe: run it as an image, with no wishes of a recipe.
			return o.target, plan.Runtime{}, nil
		}
		return "", plan.Runtime{}, err
	}
	p, err := plan.New(set, name, plan.Options{})
	if err != nil {
		return "", plan.Runtime{}, problems(err)
	}
	image := o.image
	if image == "" {
		image = defaultImage(p)
	}
	if _, err := smoke.ImageLabels(ctx, image); err != nil && !o.print {
		return "", plan.Runtime{}, cannot("%v", err)
	}
	return image, p.Runtime, nil
}

// dockerRunArgv is the docker run command of a device spec. It is what --print
// shows and what run executes, so the two cannot differ.
func dockerRunArgv(spec device.Spec, binds []string, image, name string, cmd []string, tty bool) []string {
	argv := []string{"docker", "run", "--rm", "--init"}
	if tty {
		argv = append(argv, "-it")
	} else {
		argv = append(argv, "-i")
	}
	if name != "" {
		argv = append(argv, "--name", name)
	}
	argv = append(argv, "--label", "org.ccf-ai-infra.macabox=run")
	argv = append(argv, spec.DockerRunArgs()...)
	for _, b := range binds {
		argv = append(argv, "--volume="+b)
	}
	argv = append(argv, image)
	return append(argv, cmd...)
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
