// Package hostcheck is macabox doctor: a preflight of the host that says, for
// each thing a MACA container needs, whether it is ok and how to fix it if not.
package hostcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one check.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one line of the doctor's report.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is every check in the order they ran, plus the facts they found,
// which reproduce reports quote as "host facts".
type Report struct {
	Checks []Check `json:"checks"`
	Facts  Facts   `json:"facts"`
}

// Facts are the host properties worth recording next to a test run.
type Facts struct {
	Docker        string   `json:"docker,omitempty"`
	BuildKit      string   `json:"buildkit,omitempty"`
	Reproducible  bool     `json:"reproducible"`
	MACANodes     []string `json:"macaNodes,omitempty"`
	GPUs          []GPU    `json:"gpus,omitempty"`
	DeviceGroups  []int    `json:"deviceGroups,omitempty"`
	MXSMI         string   `json:"mxSmi,omitempty"`
	KernelDriver  string   `json:"kernelDriver,omitempty"`
	HostMACA      string   `json:"hostMaca,omitempty"`
	MemlockHard   string   `json:"memlockHard,omitempty"`
	CgroupVersion int      `json:"cgroupVersion,omitempty"`
	FreeDiskBytes uint64   `json:"freeDiskBytes,omitempty"`
	FreeDiskPath  string   `json:"freeDiskPath,omitempty"`
}

// GPU is one MetaX GPU as the host shows it.
type GPU struct {
	Index int      `json:"index"`
	BDF   string   `json:"bdf,omitempty"`
	Nodes []string `json:"nodes"`
}

// OK reports whether no check failed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

// WriteText prints one line per check; colour only when the caller says the
// writer is a terminal.
func (r *Report) WriteText(w io.Writer, color bool) error {
	for _, c := range r.Checks {
		mark := string(c.Status)
		if color {
			mark = colorize(c.Status)
		}
		line := fmt.Sprintf("%-4s  %-16s %s", mark, c.Name, c.Detail)
		if c.Fix != "" && c.Status != OK {
			line += "\n      fix: " + c.Fix
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " ")); err != nil {
			return err
		}
	}
	return nil
}

func colorize(s Status) string {
	code := map[Status]string{OK: "32", Warn: "33", Fail: "31"}[s]
	return "\x1b[" + code + "m" + fmt.Sprintf("%-4s", s) + "\x1b[0m"
}

// WriteJSON prints the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Probes are the parts of a check that talk to daemons. The CLI supplies them so
// that this package stays free of client libraries.
type Probes struct {
	// Docker returns the engine's version.
	Docker func(ctx context.Context) (string, error)
	// Builder returns the BuildKit version and whether it can build reproducibly.
	Builder func(ctx context.Context) (version string, reproducible bool, err error)
}
