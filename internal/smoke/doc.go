// Package smoke runs a target's smoke tests inside one container of its image
// and reports them.
//
// The parts, each in its own file:
//   - spec.go, eval.go: what a test asks for and the pure judgement of what was
//     observed (pass, fail, skip, error) with an explanation a person can act on;
//   - runner.go, service.go: the order of work for one target: one container,
//     every test in it through exec, in the order given;
//   - container.go, inspect.go: the only files that talk to Docker (through
//     testcontainers-go and the Docker client it provides);
//   - scripts.go: the POSIX sh snippets run inside the container, written so that
//     an image needs nothing but /bin/sh and the usual base tools;
//   - cleanup.go, owner.go: labels, and removal of containers left by a
//     killed or kept run;
//   - report*.go: text, JSON, JUnit XML and Markdown renderings of a Report.
//
// Library code here writes only to the writers it is given.
package smoke
