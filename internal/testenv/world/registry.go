package world

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/testenv/daemon"
)

const registryGrace = 20 * time.Second

func (w *World) registry() daemon.Proc {
	return daemon.Proc{RunDir: w.runDir(), Name: "registry", Exe: "registry"}
}

func (w *World) registryPortRecord() string {
	return filepath.Join(w.runDir(), "registry.port")
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// registryAnswers: the distribution API's base endpoint answers 200.
func (w *World) registryAnswers(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+w.registryAddr()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v2/: %s", resp.Status)
	}
	return nil
}

// yamlQuote is a YAML single-quoted scalar.
func yamlQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func registryConfig(storage, addr string) string {
	return fmt.Sprintf(`# Written by scripts/testenv.sh.
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: macabox-testenv-not-a-secret
`, yamlQuote(storage), yamlQuote(addr))
}

// ensureRegistry starts the local registry, or finds it running on the
// configured port.
func (w *World) ensureRegistry(ctx context.Context) error {
	r := w.registry()
	if _, ok := r.PID(); ok {
		recorded := readTrimmed(w.registryPortRecord())
		if recorded == strconv.Itoa(w.RegistryPort) && w.registryAnswers(ctx) == nil {
			w.log.Printf("registry: running at %s", w.registryAddr())
			return nil
		}
		if recorded == "" {
			recorded = "?"
		}
		w.log.Printf("registry: running on port %s, wanted %d; restarting it", recorded, w.RegistryPort)
		r.Stop(registryGrace, w.log.Printf)
	}
	if conn, err := net.DialTimeout("tcp", w.registryAddr(), time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("port %d on 127.0.0.1 is taken by a process testenv did not start; set MACABOX_REGISTRY_PORT to a free port", w.RegistryPort)
	}
	if err := os.MkdirAll(w.registryDir(), 0o755); err != nil {
		return err
	}
	config := filepath.Join(w.runDir(), "registry.yml")
	if err := os.WriteFile(config, []byte(registryConfig(w.registryDir(), w.registryAddr())), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(w.registryPortRecord(), []byte(strconv.Itoa(w.RegistryPort)+"\n"), 0o644); err != nil {
		return err
	}
	logFile := w.logFile("registry")
	w.log.Printf("registry: starting at %s (storage %s, log %s)", w.registryAddr(), w.registryDir(), logFile)
	// No collector is listening for traces; without this the registry logs
	// an export error every few seconds.
	if err := r.Start(logFile, withEnv("OTEL_TRACES_EXPORTER", "none"), w.tools.Registry, "serve", config); err != nil {
		return err
	}
	return w.waitDaemon(ctx, r, logFile, w.registryAnswers)
}
