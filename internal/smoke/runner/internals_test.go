package runner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

func TestCapture(t *testing.T) {
	c := newCapture(16)
	fmt.Fprint(c, "0123")
	if got := c.String(); got != "0123" {
		t.Fatalf("short = %q", got)
	}
	for i := 0; i < 10; i++ {
		fmt.Fprint(c, "abcdefgh")
	}
	got := c.String()
	if !strings.HasPrefix(got, "0123abcd") || !strings.HasSuffix(got, "abcdefgh") || !strings.Contains(got, "[… 68 bytes not kept …]") {
		t.Errorf("long = %q", got)
	}
}

func TestParseStat(t *testing.T) {
	out := "missing\nexists char nonempty - crw-rw----\nexists file nonempty 755 -rwxr-xr-x\nexists dir nonempty - drwxrwxrwt\n"
	files, err := parseStat([]string{"/a", "/dev/mxcd", "/bin/x", "/tmp"}, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []smoke.FileState{
		{Path: "/a"},
		{Path: "/dev/mxcd", Exists: true, Type: "char", NonEmpty: true, Perm: 0o660, PermKnown: true},
		{Path: "/bin/x", Exists: true, Type: "file", NonEmpty: true, Perm: 0o755, PermKnown: true},
		{Path: "/tmp", Exists: true, Type: "dir", NonEmpty: true, Perm: 0o1777, PermKnown: true},
	}
	for i := range want {
		if files[i] != want[i] {
			t.Errorf("%s: %+v, want %+v", want[i].Path, files[i], want[i])
		}
	}
	if _, err := parseStat([]string{"/a", "/b"}, "missing\n"); err == nil {
		t.Error("a short answer was accepted")
	}
}

func TestPermFromLs(t *testing.T) {
	for in, want := range map[string]uint32{
		"-rwsr-xr-x": 0o4755, "-rwxr-Sr--": 0o2744, "drwxr-xr-T": 0o1754, "----------": 0, "lrwxrwxrwx": 0o777,
	} {
		if got, ok := permFromLs(in); !ok || got != want {
			t.Errorf("%s = %04o %v, want %04o", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "-rwx", "-rwxq-xr-x"} {
		if _, ok := permFromLs(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestContainerName(t *testing.T) {
	if got := containerName("macabox.test/maca-sim:3.0.0.5", "r1"); got != "macabox-smoke-macabox.test-maca-sim-3.0.0.5-r1" {
		t.Errorf("name = %q", got)
	}
	if got := containerName("///", "r1"); got != "macabox-smoke-r1" {
		t.Errorf("name = %q", got)
	}
}

func TestOwnerState(t *testing.T) {
	me := currentOwner()
	if me.start == "" {
		t.Skip("no /proc here")
	}
	if got := me.state(me.host); got != ownerAlive {
		t.Errorf("this process: %v", got)
	}
	if got := me.state("elsewhere"); got != ownerElsewhere {
		t.Errorf("another host: %v", got)
	}
	reused := me
	reused.start += "0"
	if got := reused.state(me.host); got != ownerGone {
		t.Errorf("a reused pid: %v", got)
	}
	o, ok := ownerOf(me.labels())
	if !ok || o != me {
		t.Errorf("labels round trip: %+v %v", o, ok)
	}
	if _, ok := ownerOf(map[string]string{}); ok {
		t.Error("a container without owner labels has an owner")
	}
}
