package pipeline

import (
	"context"
	"errors"
	"io"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/plan"
)

// RunOptions are `macabox run TARGET|IMAGE [-- CMD...]`.
type RunOptions struct {
	// Root is --root.
	Root string
	// Target is a recipe name or file, or any image.
	Target string
	// Image is the image to run (default: the target's built image).
	Image  string
	Device DeviceOptions
	// Name names the container.
	Name string
	Cmd  []string
	// TTY asks for an interactive terminal.
	TTY bool
	// Print only prints the command: the image need not exist here.
	Print bool
	Err   io.Writer
}

// RunArgv is the docker run command of TARGET|IMAGE with the device profile.
// It is what `run --print` shows and what `run` executes, so the two cannot
// differ.
func RunArgv(ctx context.Context, o RunOptions) ([]string, error) {
	image, rt, err := runImage(ctx, o)
	if err != nil {
		return nil, err
	}
	spec, err := o.Device.spec(rt.Privileged, rt.ShmSize, o.Err)
	if err != nil {
		return nil, err
	}
	binds, err := o.Device.binds()
	if err != nil {
		return nil, err
	}
	return dockerRunArgv(spec, binds, image, o.Name, o.Cmd, o.TTY), nil
}

// runImage finds the image for TARGET|IMAGE and the recipe's runtime wishes.
func runImage(ctx context.Context, o RunOptions) (string, plan.Runtime, error) {
	tg, err := ResolveTarget(o.Root, o.Target)
	if err != nil {
		if errors.Is(err, ErrCannot) {
			// Not a recipe: run it as an image, with no wishes of a recipe.
			return o.Target, plan.Runtime{}, nil
		}
		return "", plan.Runtime{}, err
	}
	p, err := plan.New(tg.Set, tg.Name, plan.Options{})
	if err != nil {
		return "", plan.Runtime{}, err
	}
	image := o.Image
	if image == "" {
		image = DefaultTag(p)[0]
	}
	if !o.Print {
		engine := newDockerEngine()
		defer engine.close()
		if _, err := imageLabels(ctx, engine, image); err != nil {
			return "", plan.Runtime{}, markCannot(err)
		}
	}
	return image, p.Runtime, nil
}

// dockerRunArgv is the docker run command of a device spec.
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
	// After "--" nothing can be read as an option, whatever the image
	// reference holds; docker run takes the image as the first operand.
	argv = append(argv, "--", image)
	return append(argv, cmd...)
}
