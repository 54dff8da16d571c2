package smoke

import (
	"strings"
	"testing"
	"time"
)

func cmdTest(name, run string, e *Expect) Test {
	return Test{Name: name, Run: run, Expect: e}
}

func exitCode(n int) *int { return &n }

func boolean(b bool) *bool { return &b }

func TestEvaluateCommand(t *testing.T) {
	tests := []struct {
		name    string
		expect  *Expect
		out     CommandOutput
		files   []FileState
		status  Status
		problem string
	}{
		{name: "default exit 0", out: CommandOutput{Exit: 0}, status: StatusPassed},
		{name: "nonzero exit", out: CommandOutput{Exit: 3}, status: StatusFailed, problem: "exit code 3, expected 0"},
		{name: "expected exit", expect: &Expect{Exit: exitCode(2)}, out: CommandOutput{Exit: 2}, status: StatusPassed},
		{
			name:   "stdout line anchors",
			expect: &Expect{Stdout: `^GPU#0 .* Available$`},
			out:    CommandOutput{Stdout: "MX-SMI 2.2.4\nGPU#0 MXC500 0000:0e:00.0 Available\n"},
			status: StatusPassed,
		},
		{
			name:    "stdout mismatch",
			expect:  &Expect{Stdout: `GPU#1`},
			out:     CommandOutput{Stdout: "GPU#0\n"},
			status:  StatusFailed,
			problem: "stdout does not match /GPU#1/",
		},
		{
			name:    "notStderr",
			expect:  &Expect{NotStderr: `(?i)error`},
			out:     CommandOutput{Stderr: "warning\nERROR: boom\n"},
			status:  StatusFailed,
			problem: `stderr matches /(?i)error/ ("ERROR"), expected no match`,
		},
		{
			name:    "bad regex is an error of the test",
			expect:  &Expect{Stdout: `(`},
			out:     CommandOutput{},
			status:  StatusError,
			problem: "expect.stdout: invalid regular expression /(/",
		},
		{
			name:    "missing file",
			expect:  &Expect{Files: []string{"/tmp/out.md"}},
			files:   []FileState{{Path: "/tmp/out.md"}},
			status:  StatusFailed,
			problem: "file /tmp/out.md does not exist",
		},
		{
			name:    "empty file",
			expect:  &Expect{Files: []string{"/tmp/out.md"}},
			files:   []FileState{{Path: "/tmp/out.md", Exists: true, Type: "file"}},
			status:  StatusFailed,
			problem: "file /tmp/out.md is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.out
			v := Evaluate(cmdTest("t", "true", tt.expect), Observation{Command: &out, Files: tt.files})
			if v.Status != tt.status {
				t.Fatalf("status = %s, want %s (%v)", v.Status, tt.status, v.Problems)
			}
			if tt.problem != "" && !strings.HasPrefix(v.Message, tt.problem) {
				t.Errorf("message = %q, want prefix %q", v.Message, tt.problem)
			}
		})
	}
}

func TestEvaluateTimeoutIgnoresKilledExit(t *testing.T) {
	v := Evaluate(cmdTest("slow", "sleep 100", nil), Observation{
		TimedOut: true, Timeout: time.Second,
		Command: &CommandOutput{Exit: 137, Killed: true, Stdout: "partial"},
	})
	if v.Status != StatusFailed || len(v.Problems) != 1 || v.Message != "timed out after 1s" {
		t.Fatalf("verdict = %+v", v)
	}
}

func TestEvaluateFile(t *testing.T) {
	ft := func(e *Expect) Test {
		return Test{Name: "f", File: "/opt/maca/Version.txt", Expect: e}
	}
	present := FileState{Path: "/opt/maca/Version.txt", Exists: true, Type: "file", NonEmpty: true,
		Perm: 0o644, PermKnown: true, Content: "Version:3.0.0.5\n", ContentRead: true}
	tests := []struct {
		name    string
		expect  *Expect
		state   FileState
		status  Status
		problem string
	}{
		{name: "exists", state: present, status: StatusPassed},
		{name: "missing", state: FileState{Path: present.Path}, status: StatusFailed, problem: "/opt/maca/Version.txt does not exist"},
		{name: "must not exist", expect: &Expect{Exists: boolean(false)}, state: present, status: StatusFailed, problem: "/opt/maca/Version.txt exists (file), expected it not to"},
		{name: "absent as wanted", expect: &Expect{Exists: boolean(false)}, state: FileState{Path: present.Path}, status: StatusPassed},
		{name: "mode ok", expect: &Expect{Mode: "0644"}, state: present, status: StatusPassed},
		{name: "mode wrong", expect: &Expect{Mode: "0755"}, state: present, status: StatusFailed, problem: "/opt/maca/Version.txt has mode 0644, expected 0755"},
		{name: "mode not octal", expect: &Expect{Mode: "rwx"}, state: present, status: StatusError},
		{name: "content", expect: &Expect{Content: `^Version:3\.0`}, state: present, status: StatusPassed},
		{name: "content wrong", expect: &Expect{Content: `^Version:3\.1`}, state: present, status: StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(ft(tt.expect), Observation{Files: []FileState{tt.state}})
			if v.Status != tt.status {
				t.Fatalf("status = %s, want %s (%v)", v.Status, tt.status, v.Problems)
			}
			if tt.problem != "" && v.Message != tt.problem {
				t.Errorf("message = %q, want %q", v.Message, tt.problem)
			}
		})
	}
}

func TestEvaluateVariable(t *testing.T) {
	vt := func(e *Expect) Test {
		return Test{Name: "v", Variable: "MACA_PATH", Expect: e}
	}
	set := &VariableState{Name: "MACA_PATH", Set: true, Value: "/opt/maca"}
	unset := &VariableState{Name: "MACA_PATH"}
	cases := []struct {
		name   string
		expect *Expect
		state  *VariableState
		status Status
	}{
		{"set", nil, set, StatusPassed},
		{"unset", nil, unset, StatusFailed},
		{"value", &Expect{Value: `^/opt/maca$`}, set, StatusPassed},
		{"value wrong", &Expect{Value: `^/usr`}, set, StatusFailed},
		{"must be unset", &Expect{Exists: boolean(false)}, set, StatusFailed},
		{"unset as wanted", &Expect{Exists: boolean(false)}, unset, StatusPassed},
	}
	for _, tt := range cases {
		if v := Evaluate(vt(tt.expect), Observation{Variable: tt.state}); v.Status != tt.status {
			t.Errorf("%s: status = %s, want %s (%v)", tt.name, v.Status, tt.status, v.Problems)
		}
	}
}

func TestEvaluateService(t *testing.T) {
	svc := Test{
		Name:    "s",
		Service: &Service{Run: "httpd -f -p 8080", ReadyTCP: 8080},
		Probe:   "wget -qO- http://127.0.0.1:8080/",
		Expect:  &Expect{Stdout: "hello"},
	}
	cases := []struct {
		name    string
		obs     Observation
		status  Status
		problem string
	}{
		{"ready and probed", Observation{Service: &ServiceState{Ready: true}, Command: &CommandOutput{Stdout: "hello"}}, StatusPassed, ""},
		{"probe fails", Observation{Service: &ServiceState{Ready: true}, Command: &CommandOutput{Exit: 1}}, StatusFailed, "exit code 1, expected 0"},
		{"never ready", Observation{Service: &ServiceState{Timeout: 2 * time.Second}}, StatusFailed, "the service was not ready within 2s"},
		{"exited", Observation{Service: &ServiceState{Exited: true, Waited: 1500 * time.Millisecond}}, StatusFailed, "the service exited before it became ready (after 1.5s)"},
		{"no client", Observation{Service: &ServiceState{ProbeProblem: "no HTTP client"}}, StatusError, "no HTTP client"},
	}
	for _, tt := range cases {
		v := Evaluate(svc, tt.obs)
		if v.Status != tt.status || (tt.problem != "" && v.Message != tt.problem) {
			t.Errorf("%s: verdict = %+v", tt.name, v)
		}
	}
}

func TestDeviceGate(t *testing.T) {
	dev := Test{Name: "d", Run: "mx-smi -L", Needs: []string{"device"}}
	if _, ok := DeviceGate(dev, true, "", false); !ok {
		t.Error("with a device the test must run")
	}
	if _, ok := DeviceGate(cmdTest("c", "true", nil), false, "none", true); !ok {
		t.Error("a test without needs must run")
	}
	v, ok := DeviceGate(dev, false, "no MACA device under /dev", false)
	if ok || v.Status != StatusSkipped || v.Message != "no MACA device under /dev" {
		t.Errorf("skip: %+v %v", v, ok)
	}
	v, ok = DeviceGate(dev, false, "no MACA device under /dev", true)
	if ok || v.Status != StatusFailed || !strings.Contains(v.Message, "no MACA device under /dev") {
		t.Errorf("require: %+v %v", v, ok)
	}
}

func TestTailOf(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 100; i++ {
		b.WriteString("line ")
		b.WriteString(strings.Repeat("x", i%3))
		b.WriteString("\n")
	}
	tl := TailOf(b.String())
	if tl.OmittedLines != 70 || strings.Count(tl.Text, "\n") != 29 {
		t.Errorf("tail = %d omitted, %d lines", tl.OmittedLines, strings.Count(tl.Text, "\n")+1)
	}
	long := tailOf(strings.Repeat("é", 5000), 30, 100)
	if len(long.Text) > 104 || !strings.HasPrefix(long.Text, "…") {
		t.Errorf("long line tail = %q", long.Text)
	}
	if got := TailOf("\n\n"); got.Text != "" {
		t.Errorf("blank output tail = %q", got.Text)
	}
}

func TestTimeouts(t *testing.T) {
	tt := cmdTest("t", "true", nil)
	if d, _ := TestTimeout(tt); d != DefaultTestTimeout {
		t.Errorf("default = %s", d)
	}
	tt.Timeout = "15m"
	if d, _ := TestTimeout(tt); d != 15*time.Minute {
		t.Errorf("15m = %s", d)
	}
	tt.Timeout = "soon"
	if _, err := TestTimeout(tt); err == nil {
		t.Error("bad duration accepted")
	}
}

func TestCleanText(t *testing.T) {
	got := TailOf("\x1b[1;32mok\x1b[0m \x1b]0;title\x07done\r\n10%\r100%\nbad\xffbyte\x00\n")
	want := "ok done\n10%\n100%\nbad\uFFFDbyte\uFFFD"
	if got.Text != want {
		t.Errorf("cleaned = %q, want %q", got.Text, want)
	}
}

func TestExpectedFailure(t *testing.T) {
	marked := Test{Name: "op", Run: "x", XFail: "no MACA kernel yet"}
	failed := Verdict{Status: StatusFailed, Message: "exit code 1, expected 0", Problems: []string{"exit code 1, expected 0"}}
	for _, tt := range []struct {
		test Test
		in   Verdict
		want Status
	}{
		{marked, failed, StatusXFail},
		{marked, Verdict{Status: StatusError, Message: "broken"}, StatusXFail},
		{marked, Verdict{Status: StatusPassed}, StatusFailed},
		{marked, Verdict{Status: StatusSkipped, Message: "no device"}, StatusSkipped},
		{Test{Name: "plain", Run: "x"}, failed, StatusFailed},
	} {
		got := ExpectedFailure(tt.test, tt.in)
		if got.Status != tt.want {
			t.Errorf("%s with %s: %s, want %s", tt.test.Name, tt.in.Status, got.Status, tt.want)
		}
	}
	if v := ExpectedFailure(marked, Verdict{Status: StatusPassed}); !strings.Contains(v.Message, "remove its xfail") {
		t.Errorf("a pass of a marked test says %q", v.Message)
	}
	rep := &Report{Results: []Result{NewResult(marked, Observation{}, failed, 0)}}
	if !rep.OK() || rep.Summary().XFailed != 1 {
		t.Errorf("an expected failure fails the run: %+v", rep.Summary())
	}
}
