package plan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// ErrNothingToProbe is returned for a plan without apt, dnf, pip or git
// steps: its lock needs no build.
var ErrNothingToProbe = errors.New("no step to probe")

// ProbeDir is where a lock probe build leaves what each step resolved, one
// file set per step, named by the step's index.
const ProbeDir = "/.macabox-lock"

// ProbeStage is the final stage of a lock probe build: nothing but ProbeDir's
// files, gathered from every stage, for a local export.
const ProbeStage = "macabox-lock"

// Probe file suffixes, after "<ProbeDir>/<step index>".
const (
	ProbePackagesBefore = ".before"   // dpkg or rpm: name TAB version TAB arch, before the step
	ProbePackagesAfter  = ".after"    // the same after it
	ProbeArchives       = ".archives" // apt-cache madison of the packages after the step
	ProbePipReport      = ".pip.json" // pip's installation report
	ProbePipVersion     = ".pip"      // the image's pip version
	ProbeGit            = ".git"      // HEAD's commit, then `git submodule status --recursive`
)

// ProbeFile is the name, inside the exported probe directory, of what step i
// recorded with suffix.
func ProbeFile(i int, suffix string) string { return strconv.Itoa(i) + suffix }

func probePath(i int, suffix string) string {
	return shQuote(ProbeDir + "/" + ProbeFile(i, suffix))
}

// RenderLockProbe writes the Dockerfile `macabox lock` builds: the plan's
// own, each apt, dnf, pip and git step recording in the same RUN what it
// installed or checked out, then a last stage holding only those records.
// Resolving in the steps themselves means the lock sees exactly the images,
// networks, indexes and mirrors the build sees.
func RenderLockProbe(p *Plan) (*Rendered, error) {
	if p.Lock != nil {
		return nil, errors.New("render: a lock probe starts from an unlocked plan")
	}
	d := &dockerfile{probe: true}
	writeHeader(d, p)
	var probing []string
	for i := range p.Stages {
		s := &p.Stages[i]
		writeStage(d, p, s)
		for j := range p.Steps {
			st := &p.Steps[j]
			if st.Stage != s.Name {
				continue
			}
			writeStep(d, st)
			if probes(st.Kind) && !slices.Contains(probing, s.Name) {
				probing = append(probing, s.Name)
			}
		}
	}
	o := noStep(p.TargetPos)
	d.line(o, "")
	d.comment(o, "What each step resolved, for macabox lock")
	d.line(o, "FROM scratch AS "+ProbeStage)
	for _, s := range probing {
		d.line(o, fmt.Sprintf("COPY --from=%s %s/ /", s, ProbeDir))
	}
	if len(probing) == 0 {
		return nil, ErrNothingToProbe
	}
	if d.err != nil {
		return nil, d.err
	}
	return &Rendered{Dockerfile: d.buf.Bytes(), Context: slices.Clone(p.Context), Lines: d.lines, BaseRefs: baseRefs(p)}, nil
}

// probes reports whether a step of kind k records anything when probing.
func probes(k StepKind) bool {
	return k == KindApt || k == KindDnf || k == KindPip || k == KindGit
}

const dpkgList = `dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n'`

const rpmList = `rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n'`

// aptProbe wraps an apt step's commands: the package list before and after,
// and where each package after it came from (the lists are mounted in the
// step's own RUN, so apt-cache still has them).
func aptProbe(o origin, cmds []shellCmd) []shellCmd {
	before := []shellCmd{cmd("mkdir -p " + shQuote(ProbeDir)), cmd(dpkgList + " | sort >" + probePath(o.step, ProbePackagesBefore))}
	after := []shellCmd{
		cmd(dpkgList + " | sort >" + probePath(o.step, ProbePackagesAfter)),
		cmd("cut -f1 " + probePath(o.step, ProbePackagesAfter) + " | xargs apt-cache madison >" + probePath(o.step, ProbeArchives)),
	}
	return append(append(before, cmds...), after...)
}

// dnfProbe wraps a dnf step's commands with the package list before and
// after.
func dnfProbe(o origin, cmds []shellCmd) []shellCmd {
	before := []shellCmd{cmd("mkdir -p " + shQuote(ProbeDir)), cmd(rpmList + " | sort >" + probePath(o.step, ProbePackagesBefore))}
	after := []shellCmd{cmd(rpmList + " | sort >" + probePath(o.step, ProbePackagesAfter))}
	return append(append(before, cmds...), after...)
}

// pipReportCheck prints the image's pip version and fails, saying so, when
// it predates --report (22.2).
const pipReportCheck = `import sys, pip; v = tuple(int(x) for x in pip.__version__.split(".")[:2]); print(pip.__version__); ` +
	`v >= (22, 2) or sys.exit("macabox: pip " + pip.__version__ + " cannot report what it installs; locking a pip step needs pip 22.2 or newer in the image")`

// pipProbe records the image's pip and has the install report what it
// resolved: name, version, the file it chose and its hash.
func pipProbe(o origin, py string) (before []shellCmd, report string) {
	return []shellCmd{
		cmd("mkdir -p " + shQuote(ProbeDir)),
		cmd(py+" -c", shQuote(pipReportCheck), ">"+probePath(o.step, ProbePipVersion)),
	}, "--report " + probePath(o.step, ProbePipReport)
}

// gitProbe records the commit a git step checked out, and its submodules',
// before the step removes .git.
func gitProbe(o origin, dest string) []shellCmd {
	return []shellCmd{
		cmd("mkdir -p " + shQuote(ProbeDir)),
		cmd("git -C " + dest + " rev-parse HEAD >" + probePath(o.step, ProbeGit)),
		cmd("git -C " + dest + " submodule status --recursive >>" + probePath(o.step, ProbeGit)),
	}
}

func baseRefs(p *Plan) []string {
	var out []string
	for _, s := range p.Stages {
		if s.FromImage && s.From != "scratch" && !slices.Contains(out, s.From) {
			out = append(out, s.From)
		}
	}
	return out
}
