package runner

import (
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

func serviceTest(name, run string, ready smoke.Service, timeout, probe string, e *smoke.Expect) smoke.Test {
	ready.Run, ready.Timeout = run, timeout
	return caseOf(smoke.Test{
		Name:    name,
		Service: &ready,
		Probe:   probe,
		Expect:  e,
	})
}

const httpd = "mkdir -p /tmp/www && echo hello-from-httpd > /tmp/www/index.html && echo serving && exec httpd -f -v -p %s -h /tmp/www"

func TestRunServices(t *testing.T) {
	rawGet := `printf 'GET / HTTP/1.0\r\n\r\n' | nc 127.0.0.1 8080`
	rep := runCases(t, Options{},
		serviceTest("tcp ready", strings.Replace(httpd, "%s", "8080", 1),
			smoke.Service{ReadyTCP: 8080}, "20s", rawGet,
			&smoke.Expect{Stdout: "hello-from-httpd"}),
		// The same port again: the first service must have been stopped.
		// busybox's static wget crashes here, so readiness falls back to nc.
		serviceTest("http ready", strings.Replace(httpd, "%s", "8080", 1),
			smoke.Service{ReadyHTTP: "http://127.0.0.1:8080/index.html"}, "20s", "", nil),
		serviceTest("never ready", "echo starting; echo 'warming up' >&2; sleep 300",
			smoke.Service{ReadyTCP: 9999}, "2s", "true", nil),
		serviceTest("exits", "echo crashing; exit 1",
			smoke.Service{ReadyTCP: 9998}, "20s", "", nil),
		serviceTest("probe fails", strings.Replace(httpd, "%s", "8081", 1),
			smoke.Service{ReadyTCP: 8081}, "20s", "echo probing; exit 7", nil),
		// busybox httpd without -f forks into the background and its first
		// process exits: the service lives on in its child.
		serviceTest("daemonizes", "mkdir -p /tmp/www && echo d > /tmp/www/index.html && httpd -p 8082 -h /tmp/www",
			smoke.Service{ReadyTCP: 8082}, "20s", "", nil),
		caseOf(cmdTest("services stopped", "ps -o args | grep -v grep | grep -E 'httpd|sleep 300' && exit 1; exit 0", nil)),
	)
	got := byName(rep)
	for name, want := range map[string]smoke.Status{
		"tcp ready": smoke.StatusPassed, "http ready": smoke.StatusPassed, "never ready": smoke.StatusFailed,
		"exits": smoke.StatusFailed, "probe fails": smoke.StatusFailed, "daemonizes": smoke.StatusPassed, "services stopped": smoke.StatusPassed,
	} {
		if got[name].Status != want {
			t.Errorf("%s: %s, want %s\n%s", name, got[name].Status, want, got[name].Explain())
		}
	}
	never := got["never ready"]
	if never.Message != "the service was not ready within 2s" {
		t.Errorf("never ready: message %q", never.Message)
	}
	for _, want := range []string{"service log:", "  | starting", "  | warming up", "ready (tcp port 9999) within the service timeout"} {
		if !strings.Contains(never.Explain(), want) {
			t.Errorf("never ready: explanation lacks %q:\n%s", want, never.Explain())
		}
	}
	if d := never.Duration.Seconds(); d < 1.5 || d > 30 {
		t.Errorf("never ready took %.1fs for a 2s service timeout", d)
	}
	exits := got["exits"]
	if !strings.HasPrefix(exits.Message, "the service exited before it became ready") || !strings.Contains(exits.ServiceLog.Text, "crashing") {
		t.Errorf("exits: %q\n%s", exits.Message, exits.Explain())
	}
	probe := got["probe fails"]
	if probe.Message != "exit code 7, expected 0" || !strings.Contains(probe.Stdout.Text, "probing") || !strings.Contains(probe.ServiceLog.Text, "serving") {
		t.Errorf("probe fails:\n%s", probe.Explain())
	}
	if got["tcp ready"].ServiceLog.Text != "" {
		t.Errorf("a passing service test carries its log: %q", got["tcp ready"].ServiceLog.Text)
	}
}
