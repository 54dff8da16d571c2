package world

import (
	"strings"
	"testing"
)

func TestBuildkitdFiles(t *testing.T) {
	w, _ := testWorld(t)
	main, err := w.buildkitd(mainBuildkitd)
	if err != nil {
		t.Fatal(err)
	}
	// The shell version's names: an existing world is found again.
	run := w.Cache + "/run/"
	if main.proc.PIDFile() != run+"buildkitd.pid" || main.sock != run+"buildkitd.sock" || main.root != w.BuildkitRoot || main.rootRecord != run+"buildkitd.root" {
		t.Errorf("main daemon files %+v", main)
	}
	extra, err := w.buildkitd("bench-m1")
	if err != nil {
		t.Fatal(err)
	}
	if extra.proc.PIDFile() != run+"buildkitd-bench-m1.pid" || extra.root != w.Cache+"/extra/bench-m1/root" || extra.addr() != "unix://"+run+"buildkitd-bench-m1.sock" {
		t.Errorf("extra daemon files %+v", extra)
	}
}

func TestBuildkitdNames(t *testing.T) {
	w, _ := testWorld(t)
	w.Cache = "/c" // room for the longest name's socket
	for _, name := range []string{"a", "repro-12345", "0x", strings.Repeat("a", 31)} {
		if _, err := w.buildkitd(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
	for _, name := range []string{"", "-a", "A", "a_b", "a/b", "../x", strings.Repeat("a", 32)} {
		if _, err := w.buildkitd(name); err == nil || !strings.Contains(err.Error(), "lowercase letters, digits and dashes") {
			t.Errorf("%q: %v, want the naming rule", name, err)
		}
	}
}

func TestBuildkitdSocketPathTooLong(t *testing.T) {
	w, _ := testWorld(t)
	w.Cache = "/" + strings.Repeat("c", 80)
	_, err := w.buildkitd("name")
	if err == nil || !strings.Contains(err.Error(), "set MACABOX_CACHE to a shorter dir") {
		t.Errorf("long socket path: %v, want the fix", err)
	}
}

func TestRegistryConfigQuotesPaths(t *testing.T) {
	cfg := registryConfig("/c/it's here", "127.0.0.1:5001")
	for _, want := range []string{"rootdirectory: '/c/it''s here'\n", "addr: '127.0.0.1:5001'\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}
