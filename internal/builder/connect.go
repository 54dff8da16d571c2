package builder

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/connhelper/dockercontainer"

	"github.com/ccf-ai-infra/macabox/internal/docker"
)

// DockerAddr selects Docker's embedded BuildKit instead of a buildkitd.
const DockerAddr = "docker"

// defaultDialTimeout bounds how long Connect waits for a builder to answer, so
// a wrong address fails in seconds instead of hanging a CI job.
const defaultDialTimeout = 10 * time.Second

// TLSOptions are the client side of a tcp:// builder's mutual TLS.
type TLSOptions struct {
	CA         string // CA certificate file that signed the server's certificate
	Cert       string // client certificate file
	Key        string // client key file
	ServerName string // name to verify the server's certificate against
}

func (t TLSOptions) empty() bool {
	return t.CA == "" && t.Cert == "" && t.Key == "" && t.ServerName == ""
}

// ConnectOptions tune Connect. The zero value is usable.
type ConnectOptions struct {
	TLS TLSOptions
	// DialTimeout bounds the first round trip to the builder (default 10s).
	DialTimeout time.Duration
	// Docker gives the engine used for the docker builder and for loading
	// images into Docker. It is called only when one is needed; nil means
	// there is none, and a load fails saying so.
	Docker func() (*docker.Client, error)
	// LoadCache is the directory of the load cache that images bound for
	// Docker pass through (see loadCache); "" streams them through
	// BuildKit's docker exporter instead, which sends every layer on
	// every load.
	LoadCache string
	// LockedIndex is the file that records which image each locked build
	// produced (see Builder.shortCircuit); "" never skips a solve.
	LockedIndex string
	// ExportMemo is the file that records which image the export of each
	// result produced (see memo.go); "" exports on every build.
	ExportMemo string
}

// Builder is a connection to one BuildKit instance and what it can do.
type Builder struct {
	addr   string
	bk     *bkclient.Client
	caps   Capabilities
	docker *dockerAPI
	// loadCache, lockedIndex and exportMemo are the ConnectOptions of the
	// same names.
	loadCache, lockedIndex, exportMemo string
}

// ResolveAddr picks the builder address: the --builder flag, else
// BUILDKIT_HOST (looked up through getenv so callers control the environment).
func ResolveAddr(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if getenv != nil {
		if v := getenv("BUILDKIT_HOST"); v != "" {
			return v, nil
		}
	}
	return "", errors.New("no builder given: pass --builder unix:///run/buildkit/buildkitd.sock (or tcp://, docker-container://NAME, docker) or set BUILDKIT_HOST")
}

// Connect dials the builder at addr, checks that it answers within the dial
// timeout and detects its capabilities. On error nothing is left open.
func Connect(ctx context.Context, addr string, opts ConnectOptions) (*Builder, error) {
	if addr == "" {
		return nil, errors.New("no builder address: pass --builder or set BUILDKIT_HOST")
	}
	timeout := opts.DialTimeout
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	b := &Builder{addr: addr, docker: newDockerAPI(opts.Docker), loadCache: opts.LoadCache, lockedIndex: opts.LockedIndex, exportMemo: opts.ExportMemo}
	var err error
	if addr == DockerAddr {
		err = b.connectDocker(ctx, timeout)
	} else {
		err = b.connectBuildkitd(ctx, addr, opts.TLS, timeout)
	}
	if err != nil {
		return nil, errors.Join(err, b.Close())
	}
	return b, nil
}

func (b *Builder) connectBuildkitd(ctx context.Context, addr string, tls TLSOptions, timeout time.Duration) error {
	clientOpts, err := buildkitdClientOpts(addr, tls)
	if err != nil {
		return err
	}
	b.bk, err = bkclient.New(ctx, addr, clientOpts...)
	if err != nil {
		return fmt.Errorf("builder %s: %w", addr, err)
	}
	caps, err := detectBuildkitd(ctx, b.bk, timeout)
	if err != nil {
		return unreachable(addr, err)
	}
	b.caps = caps
	return nil
}

// buildkitdClientOpts validates addr before any dial, so a typo is reported
// as such and not as a connection failure.
func buildkitdClientOpts(addr string, tls TLSOptions) ([]bkclient.ClientOpt, error) {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("builder address %q is not a URL: use unix:///path/buildkitd.sock, tcp://HOST:PORT, docker-container://NAME or docker", addr)
	}
	var opts []bkclient.ClientOpt
	switch u.Scheme {
	case "unix":
		if u.Path == "" {
			return nil, fmt.Errorf("builder address %q has no socket path: use unix:///path/buildkitd.sock", addr)
		}
	case "tcp":
		if u.Host == "" {
			return nil, fmt.Errorf("builder address %q has no host: use tcp://HOST:PORT", addr)
		}
		if !tls.empty() {
			if (tls.Cert == "") != (tls.Key == "") {
				return nil, errors.New("TLS client certificate and key go together: pass both --tls-cert and --tls-key")
			}
			if tls.Cert != "" {
				opts = append(opts, bkclient.WithCredentials(tls.Cert, tls.Key))
			}
			opts = append(opts, bkclient.WithServerConfig(tls.ServerName, tls.CA))
		}
	case "docker-container":
		h, err := dockercontainer.Helper(u)
		if err != nil {
			return nil, fmt.Errorf("builder address %q: %w", addr, err)
		}
		opts = append(opts, bkclient.WithContextDialer(h.ContextDialer))
	default:
		return nil, fmt.Errorf("builder address %q: unsupported scheme %q: use unix://, tcp://, docker-container:// or docker", addr, u.Scheme)
	}
	if u.Scheme != "tcp" && !tls.empty() {
		return nil, fmt.Errorf("TLS options apply only to tcp:// builders, not %q", addr)
	}
	return opts, nil
}

func unreachable(addr string, err error) error {
	msg := err.Error()
	// gRPC repeats the transport error in long wrapped chains; the last
	// clause is the one a person can act on.
	if i := strings.LastIndex(msg, "desc = "); i >= 0 {
		msg = msg[i+len("desc = "):]
	}
	msg = strings.Trim(strings.TrimSpace(msg), `"`)
	msg = strings.TrimPrefix(msg, "transport: Error while dialing: ")
	msg = strings.TrimSpace(strings.ReplaceAll(msg, `\n`, " "))
	fix := "start buildkitd there or pass another --builder"
	switch {
	case strings.HasPrefix(addr, "docker-container://"):
		fix = "start the container (it must run buildkitd and have buildctl) or pass another --builder"
	case strings.HasPrefix(addr, "tcp://"):
		fix = "start buildkitd there, check --tls-ca, --tls-cert, --tls-key and --tls-server-name if it uses TLS, or pass another --builder"
	}
	return fmt.Errorf("builder %s is not reachable: %s; %s", addr, msg, fix)
}

// Addr is the address the builder was reached at.
func (b *Builder) Addr() string { return b.addr }

// Capabilities is what the builder can do, detected at Connect.
func (b *Builder) Capabilities() Capabilities { return b.caps }

// Close releases the connections. It is safe on a partly connected Builder.
func (b *Builder) Close() error {
	var errs []error
	if b.bk != nil {
		errs = append(errs, b.bk.Close())
		b.bk = nil
	}
	return errors.Join(errs...)
}
