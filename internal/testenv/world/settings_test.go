package world

import (
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestSettingsDefaults(t *testing.T) {
	s, err := SettingsFromEnv(env(nil), "/home/dev")
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Cache:        "/home/dev/.cache/macabox",
		RegistryPort: 5000,
		DebianMirror: "http://deb.debian.org/debian",
		BuildkitRoot: "/home/dev/.cache/macabox/buildkit",
		FixtureEpoch: "1735689600",
		StartTimeout: 90 * time.Second,
	}
	if s != want {
		t.Errorf("settings %+v, want %+v", s, want)
	}
	if s.runDir() != "/home/dev/.cache/macabox/run" || s.registryAddr() != "127.0.0.1:5000" {
		t.Errorf("run dir %s, registry %s", s.runDir(), s.registryAddr())
	}
}

func TestSettingsFromEnvironment(t *testing.T) {
	s, err := SettingsFromEnv(env(map[string]string{
		"MACABOX_CACHE":         "/c",
		"MACABOX_REGISTRY_PORT": "5001",
		"MACABOX_DEBIAN_MIRROR": "http://m/debian",
		"MACABOX_BUILDKIT_ROOT": "/bk",
		"MACABOX_FIXTURE_EPOCH": "0",
		"MACABOX_START_TIMEOUT": "5",
	}), "/home/dev")
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Cache: "/c", RegistryPort: 5001, DebianMirror: "http://m/debian", BuildkitRoot: "/bk", FixtureEpoch: "0", StartTimeout: 5 * time.Second}
	if s != want {
		t.Errorf("settings %+v, want %+v", s, want)
	}
	// The main daemon's root follows the cache unless set.
	s, _ = SettingsFromEnv(env(map[string]string{"MACABOX_CACHE": "/c"}), "/home/dev")
	if s.BuildkitRoot != "/c/buildkit" {
		t.Errorf("buildkit root %s, want /c/buildkit", s.BuildkitRoot)
	}
}

func TestSettingsRejectNonsense(t *testing.T) {
	for name, value := range map[string]string{
		"MACABOX_REGISTRY_PORT": "50o0",
		"MACABOX_START_TIMEOUT": "0",
		"MACABOX_FIXTURE_EPOCH": "2025-01-01",
	} {
		_, err := SettingsFromEnv(env(map[string]string{name: value}), "/home/dev")
		if err == nil || !strings.Contains(err.Error(), name+`="`+value+`"`) {
			t.Errorf("%s=%s: error %v, want one naming the variable and value", name, value, err)
		}
	}
}
