// Package docker is macabox's one door to the Docker Engine. It resolves the
// endpoint once, by Docker's own rules (DOCKER_HOST, then DOCKER_CONTEXT,
// then the current context of the Docker CLI's configuration, then the
// default socket), and never falls back to another engine when that one does
// not answer: a reviewer who points macabox at an isolated engine must not
// find an untrusted bundle running on the local one. Everything else that
// talks to Docker (loading built images, running smoke tests, doctor) is
// handed a Client made here.
//
// It owns the Docker client libraries (github.com/moby/moby/client and api,
// github.com/containerd/errdefs, and the Docker CLI's context store): no
// other package imports them. testcontainers-go, which the smoke runner uses
// to start containers, is pointed at the same endpoint through Environ.
package docker
