package docker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	cliconfig "github.com/docker/cli/cli/config"
	clictx "github.com/docker/cli/cli/context/docker"
	ctxstore "github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/client"
)

// Environment variables Docker's CLI reads, in the order it obeys them.
const (
	EnvHost      = "DOCKER_HOST"
	EnvContext   = "DOCKER_CONTEXT"
	EnvConfig    = "DOCKER_CONFIG"
	EnvTLSVerify = "DOCKER_TLS_VERIFY"
	EnvCertPath  = "DOCKER_CERT_PATH"
)

// defaultContext is the context name Docker gives DOCKER_HOST or the
// default socket.
const defaultContext = "default"

// Endpoint is the Docker engine macabox talks to, and why that one.
type Endpoint struct {
	// Host is the engine's address as Docker writes it:
	// unix:///var/run/docker.sock, tcp://HOST:2376, ssh://USER@HOST.
	Host string
	// Origin says where Host came from, for messages: "DOCKER_HOST",
	// `docker context "NAME"` or "the default socket".
	Origin string
	// CertDir holds ca.pem, cert.pem and key.pem when the endpoint uses
	// TLS with client certificates (DOCKER_CERT_PATH, or a context's TLS
	// material).
	CertDir string

	opts []client.Opt
}

// ResolveEndpoint finds the engine as the docker CLI would: DOCKER_HOST
// (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH); else the context named by
// DOCKER_CONTEXT; else the config file's current context; else the default
// socket. getenv is the process environment in production, and lets tests
// choose theirs.
func ResolveEndpoint(getenv func(string) string) (Endpoint, error) {
	name := contextName(getenv)
	if name == "" || name == defaultContext {
		return defaultEndpoint(getenv), nil
	}
	return contextEndpoint(getenv, name)
}

// contextName follows the docker CLI's order; an empty name is the default
// context. A config file that cannot be read is not a reason to guess.
func contextName(getenv func(string) string) string {
	if getenv(EnvHost) != "" {
		return defaultContext
	}
	if name := getenv(EnvContext); name != "" {
		return name
	}
	cfg, err := cliconfig.Load(configDir(getenv))
	if err != nil || cfg == nil {
		return ""
	}
	return cfg.CurrentContext
}

func configDir(getenv func(string) string) string {
	if d := getenv(EnvConfig); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker")
}

func defaultEndpoint(getenv func(string) string) Endpoint {
	host, origin := getenv(EnvHost), EnvHost
	if host == "" {
		host, origin = client.DefaultDockerHost, "the default socket"
	}
	ep := Endpoint{Host: host, Origin: origin, opts: []client.Opt{client.WithHost(host)}}
	if getenv(EnvTLSVerify) != "" || getenv(EnvCertPath) != "" {
		dir := getenv(EnvCertPath)
		if dir == "" {
			dir = configDir(getenv)
		}
		ep.CertDir = dir
		ep.opts = append(ep.opts, client.WithTLSClientConfig(
			filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
	}
	return ep
}

// contextEndpoint reads a named context from the Docker CLI's context store.
func contextEndpoint(getenv func(string) string, name string) (Endpoint, error) {
	dir := configDir(getenv)
	if dir == "" {
		return Endpoint{}, fmt.Errorf("docker context %q: no Docker configuration directory (set %s)", name, EnvConfig)
	}
	s := ctxstore.New(filepath.Join(dir, "contexts"), ctxstore.NewConfig(
		func() any { return &map[string]any{} },
		ctxstore.EndpointTypeGetter(clictx.DockerEndpoint, func() any { return &clictx.EndpointMeta{} }),
	))
	meta, err := s.GetMetadata(name)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %w (see: docker context ls)", name, err)
	}
	em, err := clictx.EndpointFromContext(meta)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %w", name, err)
	}
	withTLS, err := clictx.WithTLSData(s, name, em)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: reading its TLS material: %w", name, err)
	}
	opts, err := withTLS.ClientOpts()
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %w", name, err)
	}
	if em.Host == "" {
		return Endpoint{}, errors.New("docker context " + name + " names no Docker host")
	}
	ep := Endpoint{Host: em.Host, Origin: fmt.Sprintf("docker context %q", name), opts: opts}
	if withTLS.TLSData != nil {
		ep.CertDir = filepath.Join(s.GetStorageInfo(name).TLSPath, clictx.DockerEndpoint)
	}
	return ep, nil
}

// Environ is the endpoint as environment variables, for a library that
// finds Docker by itself (testcontainers-go) and must find this engine.
func (e Endpoint) Environ() map[string]string {
	env := map[string]string{EnvHost: e.Host}
	if e.CertDir != "" {
		env[EnvTLSVerify] = "1"
		env[EnvCertPath] = e.CertDir
	}
	return env
}

func (e Endpoint) String() string { return e.Host + " (from " + e.Origin + ")" }
