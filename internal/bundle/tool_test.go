package bundle

import (
	"strings"
	"testing"
)

func TestToolSkew(t *testing.T) {
	made := &Tool{Version: "v0.3.0", Catalog: "sha256:" + strings.Repeat("a", 64)}
	for _, c := range []struct {
		name      string
		made, now *Tool
		want      string
	}{
		{"same", made, &Tool{Version: "v0.3.0", Catalog: made.Catalog}, ""},
		{"an old bundle says nothing", nil, made, ""},
		{"another version", made, &Tool{Version: "v0.4.0", Catalog: "sha256:" + strings.Repeat("b", 64)},
			"made with macabox v0.3.0 (catalog sha256:aaaaaaaaaaaa), this is another macabox: v0.4.0 sha256:bbbbbbbbbbbb; the bundle's own Dockerfile and files were rebuilt"},
		{"another catalog", made, &Tool{Version: "v0.3.0", Catalog: "sha256:" + strings.Repeat("c", 64)},
			"this is the same macabox version with another catalog: v0.3.0 sha256:cccccccccccc"},
	} {
		r := &Report{Expected: Side{Macabox: c.made}, Actual: Side{Macabox: c.now}}
		got := r.ToolSkew()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
