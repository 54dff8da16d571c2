package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/shell"
)

type runOptions struct {
	*globalOptions
	deviceFlags
	image string
	print bool
	name  string
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

--device nvidia starts it on a CUDA host instead, with NVIDIA's GPUs passed as
Docker does: by CDI name (nvidia.com/gpu=all, or one per --gpus index) where the
NVIDIA Container Toolkit wrote a CDI spec, else as --gpus all (or "device=0,2").

--print prints the equivalent "docker run" command line instead, quoted so that it
can be pasted into a shell as is.`,
		Example: `  # a shell in the MinerU image with GPUs 0 and 1
  macabox run mineru-maca3 --gpus 0,1

  # one command
  macabox run maca-3.0 -- mx-smi -L

  # the docker run line for a deploy script
  macabox run vllm-metax-maca3 --print -- vllm serve /models/Qwen3-8B --port 8000

  # the same tests' reference image on a CUDA host, GPUs 0 and 1
  macabox run mineru-maca3 --image opendatalab/mineru:cuda --device nvidia --gpus 0,1 --print`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if at := cmd.ArgsLenAtDash(); at > 1 {
				return cannot("run takes one TARGET|IMAGE before --, got %d", at)
			}
			return runRun(cmd.Context(), o, args[0], args[1:], s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.image, "image", "", "image to run (default: the target's built image)")
	f.BoolVar(&o.print, "print", false, "print the equivalent docker run command instead of running it")
	f.StringVar(&o.name, "name", "", "container name")
	o.deviceFlags.bind(f)
	return cmd
}

func runRun(ctx context.Context, o *runOptions, target string, cmd []string, s Streams) error {
	argv, err := pipeline.RunArgv(ctx, pipeline.RunOptions{
		Root: o.root, Target: target, Image: o.image, Device: o.deviceFlags.options(),
		Name: o.name, Cmd: cmd, TTY: isTerminal(s.In), Print: o.print, Err: s.Err,
	})
	if err != nil {
		return outcome(err)
	}
	if o.print {
		fmt.Fprintln(s.Out, shell.Join(argv))
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

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
