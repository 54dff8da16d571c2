package device_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
)

// TestParseSize: sizes read as docker run --shm-size reads them, fractions,
// spaces before the unit and petabytes included; what docker refuses, and
// sizes an int64 cannot hold, are refused.
func TestParseSize(t *testing.T) {
	tests := map[string]int64{
		"8388608": 8 << 20, "8m": 8 << 20, "8M": 8 << 20, "8MiB": 8 << 20, "8mb": 8 << 20,
		"64k": 64 << 10, "8g": 8 << 30, "1t": 1 << 40, "0": 0, "512b": 512,
		"1.5g": 3 << 29, ".5k": 512, "8 g": 8 << 30, "2p": 2 << 50, "1e3": 1000,
	}
	for in, want := range tests {
		if got, err := device.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "m", "-1", "8x", "8kk", "8mbb", " 8g", "8g ", "99999999999t", "1e400"} {
		if _, err := device.ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseLimit(t *testing.T) {
	for in, want := range map[string]int64{"unlimited": device.Unlimited, "Unlimited": device.Unlimited, "-1": device.Unlimited, "16m": 16 << 20, "1.5m": 3 << 19} {
		if got, err := device.ParseLimit(in); err != nil || got != want {
			t.Errorf("ParseLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"lots", "-2", "-1m"} {
		if _, err := device.ParseLimit(bad); err == nil {
			t.Errorf("ParseLimit(%q) succeeded", bad)
		}
	}
}

func TestFormatSizeRoundTrips(t *testing.T) {
	for n, want := range map[int64]string{8 << 20: "8m", 8 << 30: "8g", 1536: "1536", 3 << 10: "3k", 5 << 40: "5t", device.Unlimited: "unlimited"} {
		if got := device.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
		if n == device.Unlimited {
			continue
		}
		if back, err := device.ParseSize(want); err != nil || back != n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
	}
}

// dockerMemlockRefusal is what Docker 20.10 with runc 1.1.5 said on a host
// whose daemon may not raise RLIMIT_MEMLOCK, for docker run --ulimit
// memlock=16777216 (reproduced while writing this test).
const dockerMemlockRefusal = "Error response from daemon: failed to create shim task: OCI runtime create failed: " +
	"runc create failed: unable to start container process: error during container init: " +
	"error setting rlimits for ready process: error setting rlimit type 8: operation not permitted: unknown"

func TestExplainRunError(t *testing.T) {
	spec := device.Spec{Ulimits: []device.Ulimit{
		{Name: "memlock", Soft: 16 << 20, Hard: 16 << 20},
		{Name: "stack", Soft: 64 << 20, Hard: 64 << 20},
	}}
	tests := []struct {
		msg, name string
		value     int64
		says      string
	}{
		{dockerMemlockRefusal, "memlock", 16 << 20, "the host refused memlock=16m; lower it with --memlock 8m or less"},
		{"OCI runtime create failed: setrlimit `RLIMIT_MEMLOCK`: Operation not permitted", "memlock", 16 << 20, "--memlock 8m"},
		{"error setting rlimit type 3: operation not permitted", "stack", 64 << 20, "the host refused stack=64m; lower it with --stack"},
		{"error setting rlimit type 7: operation not permitted", "nofile", 0, "the host refused nofile; lower that ulimit"},
	}
	for _, tt := range tests {
		cause := errors.New(tt.msg)
		err := device.ExplainRunError(cause, spec)
		var refused *device.UlimitRefusedError
		if !errors.As(err, &refused) {
			t.Errorf("ExplainRunError(%q) = %v, want an UlimitRefusedError", tt.msg, err)
			continue
		}
		if refused.Name != tt.name || refused.Value != tt.value || !errors.Is(err, cause) {
			t.Errorf("refused = %+v, want %s=%d wrapping the cause", refused, tt.name, tt.value)
		}
		if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("message %q\nwant it to contain %q and the runtime's words", err, tt.says)
		}
	}

	other := errors.New("no such image")
	if err := device.ExplainRunError(other, spec); err != other {
		t.Errorf("unrelated error became %v", err)
	}
	if err := device.ExplainRunError(nil, spec); err != nil {
		t.Errorf("nil became %v", err)
	}
}
