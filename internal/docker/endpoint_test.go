package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeContext stores a docker context the way `docker context create`
// does: meta.json under contexts/meta/<sha256 of the name>.
func writeContext(t *testing.T, configDir, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	dir := filepath.Join(configDir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveEndpointFollowsDockersOrder(t *testing.T) {
	cfg := t.TempDir()
	writeContext(t, cfg, "isolated", "tcp://127.0.0.1:2399")
	writeContext(t, cfg, "other", "unix:///run/other.sock")
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"isolated"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(kv ...string) func(string) string {
		m := map[string]string{EnvConfig: cfg}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tt := range []struct {
		name         string
		getenv       func(string) string
		host, origin string
	}{
		{"current context", env(), "tcp://127.0.0.1:2399", `docker context "isolated"`},
		{"DOCKER_CONTEXT wins over the config", env(EnvContext, "other"), "unix:///run/other.sock", `docker context "other"`},
		{"DOCKER_HOST wins over contexts", env(EnvHost, "unix:///run/mine.sock", EnvContext, "other"), "unix:///run/mine.sock", EnvHost},
		{"the default context", env(EnvContext, "default"), "unix:///var/run/docker.sock", "the default socket"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := ResolveEndpoint(tt.getenv)
			if err != nil || ep.Host != tt.host || ep.Origin != tt.origin {
				t.Fatalf("got %+v, %v; want %s from %s", ep, err, tt.host, tt.origin)
			}
		})
	}

	// A context that does not exist is an error, never the default socket.
	if ep, err := ResolveEndpoint(env(EnvContext, "nosuch")); err == nil || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Errorf("unknown context: %+v, %v", ep, err)
	}
}

func TestEndpointEnviron(t *testing.T) {
	ep := defaultEndpoint(func(k string) string {
		return map[string]string{EnvHost: "tcp://10.0.0.1:2376", EnvTLSVerify: "1", EnvCertPath: "/certs"}[k]
	})
	env := ep.Environ()
	if env[EnvHost] != "tcp://10.0.0.1:2376" || env[EnvTLSVerify] != "1" || env[EnvCertPath] != "/certs" {
		t.Errorf("Environ = %v", env)
	}
	if _, ok := defaultEndpoint(func(string) string { return "" }).Environ()[EnvCertPath]; ok {
		t.Error("an endpoint without TLS asks for certificates")
	}
}
