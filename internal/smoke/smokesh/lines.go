package smokesh

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/shell"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

func testLines(t smoke.Test) ([]string, error) {
	timeout, err := smoke.TestTimeout(t)
	if err != nil {
		return nil, err
	}
	limit := strconv.FormatInt(ceilSeconds(timeout), 10)
	e := t.Expect
	if e == nil {
		e = &smoke.Expect{}
	}
	switch smoke.KindOf(t) {
	case smoke.KindCommand:
		lines := []string{fmt.Sprintf(`limited %s "$tok" %s /bin/sh -c %s`, limit, execPrefix(t), shell.Quote(t.Run))}
		lines = append(lines, `if [ -n "$timed_out" ]; then`, `	problem "timed out after `+limit+`s"`, `else`)
		more, err := commandChecks(e)
		if err != nil {
			return nil, err
		}
		lines = append(lines, indent(more)...)
		return append(lines, `fi`), nil
	case smoke.KindFile:
		return fileLines(t, e, limit)
	case smoke.KindVariable:
		return variableLines(t, e, limit)
	case smoke.KindService:
		return serviceLines(t, e, limit)
	}
	return nil, fmt.Errorf("the test has none of run, file, variable or service")
}

// execPrefix is the docker exec that runs a test's command: tagged with the
// marker (so a timeout kills all it started) and the test's environment.
func execPrefix(t smoke.Test) string {
	words := []string{`docker exec -e "$marker=$tok"`}
	for _, kv := range t.Env {
		words = append(words, "-e "+shell.Quote(kv.Name+"="+kv.Value))
	}
	return strings.Join(append(words, `"$container"`), " ")
}

// commandChecks checks exit code, output patterns and files after a
// command ran (rc, $tmp/stdout, $tmp/stderr).
func commandChecks(e *smoke.Expect) ([]string, error) {
	lines := []string{fmt.Sprintf("expect_exit %d", smoke.WantExit(e))}
	for _, m := range []struct {
		stream, pattern string
		want            bool
	}{
		{"stdout", e.Stdout, true}, {"stderr", e.Stderr, true},
		{"stdout", e.NotStdout, false}, {"stderr", e.NotStderr, false},
	} {
		if m.pattern == "" {
			continue
		}
		l, err := matchLine(m.stream, m.pattern, m.want)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	for _, f := range e.Files {
		lines = append(lines, "expect_nonempty "+shell.Quote(f))
	}
	return lines, nil
}

// matchLine checks one output file ($tmp/<file>) against a pattern.
func matchLine(file, pattern string, want bool) (string, error) {
	gp, err := toERE(pattern)
	if err != nil {
		return "", fmt.Errorf("pattern /%s/: %w", pattern, err)
	}
	scope := "all"
	if gp.FirstLine {
		scope = "first"
	}
	fn := "expect_match"
	if !want {
		fn = "expect_no_match"
	}
	return fmt.Sprintf("%s %s %s %s %s", fn, shell.Quote(file), scope, shell.Quote(gp.ERE), shell.Quote(pattern)), nil
}

func fileLines(t smoke.Test, e *smoke.Expect, limit string) ([]string, error) {
	path := shell.Quote(t.File)
	lines := []string{
		"subject=" + path,
		fmt.Sprintf(`limited %s "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c "$stat_script" sh %s`, limit, path),
		`read_stat`,
		`if [ -z "$f_state" ]; then`,
		`	problem "$subject could not be examined (exit $rc)"`,
	}
	if !smoke.WantExists(e) {
		lines = append(lines,
			`elif [ "$f_state" = exists ]; then`,
			`	problem "$subject exists ($f_type), expected it not to"`,
			`fi`)
		return lines, nil
	}
	lines = append(lines,
		`elif [ "$f_state" != exists ]; then`,
		`	problem "$subject does not exist"`,
		`else`)
	var body []string
	if e.Mode != "" {
		octal, v, err := octalMode(e.Mode)
		if err != nil {
			return nil, fmt.Errorf("expect.mode: %w", err)
		}
		body = append(body, fmt.Sprintf("expect_mode %s %s", shell.Quote(octal), shell.Quote(symbolicPerm(v))))
	}
	if e.Content != "" {
		l, err := matchLine("content", e.Content, true)
		if err != nil {
			return nil, err
		}
		body = append(body,
			`if [ "$f_type" = dir ]; then`,
			`	problem "the content of $subject could not be read"`,
			`else`,
			fmt.Sprintf(`	limited %s "$tok" docker exec -e "$marker=$tok" "$container" cat %s`, limit, path),
			`	if [ -n "$timed_out" ] || [ "$rc" -ne 0 ]; then`,
			`		problem "the content of $subject could not be read"`,
			`	else`,
			`		mv "$tmp/stdout" "$tmp/content"`,
			`		`+l,
			`	fi`,
			`fi`)
	}
	if len(body) == 0 {
		body = []string{":"}
	}
	lines = append(lines, indent(body)...)
	return append(lines, `fi`), nil
}

func variableLines(t smoke.Test, e *smoke.Expect, limit string) ([]string, error) {
	name := t.Variable
	lines := []string{
		"subject=" + shell.Quote(name),
		fmt.Sprintf(`limited %s "$tok" %s printenv %s`, limit, execPrefix(t), shell.Quote(name)),
		`if [ -n "$timed_out" ] || [ "$rc" -gt 1 ]; then`,
		`	problem "variable $subject could not be read (exit $rc)"`,
	}
	if !smoke.WantExists(e) {
		return append(lines,
			`elif [ "$rc" -eq 0 ]; then`,
			`	problem "$subject is set, expected it not to be"`,
			`fi`), nil
	}
	lines = append(lines,
		`elif [ "$rc" -ne 0 ]; then`,
		`	problem "$subject is not set"`)
	if e.Value != "" {
		l, err := matchLine("value", e.Value, true)
		if err != nil {
			return nil, err
		}
		lines = append(lines,
			`else`,
			`	printf '%s' "$(cat "$tmp/stdout")" >"$tmp/value"`,
			`	`+l)
	}
	return append(lines, `fi`), nil
}

func serviceLines(t smoke.Test, e *smoke.Expect, limit string) ([]string, error) {
	svc := t.Service
	wait, err := smoke.ServiceTimeout(t)
	if err != nil {
		return nil, err
	}
	kind, target, err := smoke.Readiness(svc)
	if err != nil {
		return nil, err
	}
	readyLimit := strconv.FormatInt(ceilSeconds(wait), 10)
	lines := []string{
		`log="$log_dir/$run_id-$seq.log"`,
		fmt.Sprintf(`limited 30 "${tok}svc." %s /bin/sh -c "$service_script" sh "$log_dir" %s "$log"`,
			strings.Replace(execPrefix(t), `"$marker=$tok"`, `"$marker=${tok}svc."`, 1), shell.Quote(svc.Run)),
		`svc_pid=$(cat "$tmp/stdout")`,
		`if [ -n "$timed_out" ] || [ "$rc" -ne 0 ] || [ -z "$svc_pid" ]; then`,
		`	problem "starting the service failed (exit $rc)"`,
		`else`,
		fmt.Sprintf(`	limited %s "${tok}ready." docker exec -e "$marker=${tok}ready." "$container" /bin/sh -c "$ready_script" sh "$svc_pid" %s %s "${tok}svc."`, readyLimit, kind, shell.Quote(target)),
		`	if [ -n "$timed_out" ]; then`,
		`		problem "the service was not ready within ` + readyLimit + `s"`,
		`	elif [ "$rc" -eq 3 ]; then`,
		`		problem "the service exited before it became ready"`,
		`	elif [ "$rc" -ne 0 ]; then`,
		`		problem "checking readiness failed (exit $rc): $(head -n 1 "$tmp/stderr")"`,
	}
	if t.Probe != "" {
		checks, err := commandChecks(e)
		if err != nil {
			return nil, err
		}
		lines = append(lines,
			`	else`,
			fmt.Sprintf(`		limited %s "${tok}probe." %s /bin/sh -c %s`, limit, strings.Replace(execPrefix(t), `"$marker=$tok"`, `"$marker=${tok}probe."`, 1), shell.Quote(t.Probe)),
			`		if [ -n "$timed_out" ]; then`,
			`			problem "the probe timed out after `+limit+`s"`,
			`		else`)
		lines = append(lines, indentN(checks, 3)...)
		lines = append(lines, `		fi`)
	}
	return append(lines,
		`	fi`,
		`	stop_service`,
		`fi`), nil
}

// helpersUsed names the smoke.sh helpers and variables the tests need.
func helpersUsed(tests []Check) map[string]bool {
	uses := map[string]bool{}
	for _, t := range tests {
		uses["begin"] = true
		if t.Unchecked != "" || t.Device {
			uses["skip"] = true
		}
		if t.Device && t.Unchecked == "" {
			uses["has_device"] = true
		}
		if t.Unchecked != "" {
			continue
		}
		uses["finish"], uses["limited"] = true, true
		if t.XFail != "" {
			uses["finish_xfail"] = true
		}
		for _, l := range t.Lines {
			for _, h := range []string{"expect_exit", "expect_match", "expect_no_match", "expect_nonempty", "read_stat", "expect_mode", "stop_service", "$subject"} {
				if strings.Contains(l, h) {
					uses[strings.TrimPrefix(h, "$")] = true
				}
			}
		}
	}
	if uses["expect_match"] || uses["expect_no_match"] {
		uses["matches"] = true
	}
	if uses["expect_mode"] {
		uses["subject"] = true
	}
	return uses
}
