package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// maxProbeFile bounds what one probe file may hold (a package list, a pip
// report): a step that installs more than this much is no probe's.
const maxProbeFile = 16 << 20

// LockSteps reads what a lock probe build of p left in dir (RenderLockProbe)
// and returns every step as the lock records it: each step's id, kind and
// inputs, and for apt, dnf, pip, git and download steps what they resolved.
func (p *Plan) LockSteps(dir string) ([]recipe.LockedStep, error) {
	out := make([]recipe.LockedStep, 0, len(p.Steps))
	for i := range p.Steps {
		s := &p.Steps[i]
		ls := recipe.LockedStep{ID: str(s.ID), Kind: str(string(s.Kind)), Inputs: str(s.Inputs)}
		var err error
		switch s.Kind {
		case KindApt:
			ls.Packages, err = readPackageProbe(dir, s.Index, true)
		case KindDnf:
			ls.Packages, err = readPackageProbe(dir, s.Index, false)
		case KindPip:
			ls.Pip, ls.Packages, err = readPipProbe(dir, s.Index, s.Pip)
		case KindGit:
			ls.Git, err = readGitProbe(dir, s.Index, s.Git)
		case KindDownload:
			ls.Download = &recipe.LockedDownload{URL: str(s.Download.URL), SHA256: str(s.Download.SHA256)}
		}
		if err != nil {
			return nil, fmt.Errorf("step %s (%s): %w", s.ID, s.Pos, err)
		}
		out = append(out, ls)
	}
	return out, nil
}

func str(s string) recipe.Str { return recipe.Str{Value: s} }

func readProbe(dir string, i int, suffix string) ([]byte, error) {
	path := filepath.Join(dir, ProbeFile(i, suffix))
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the probe left no %s: the step did not record what it resolved", ProbeFile(i, suffix))
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxProbeFile {
		return nil, fmt.Errorf("%s is not a regular file of at most %d bytes", ProbeFile(i, suffix), maxProbeFile)
	}
	return os.ReadFile(path)
}

// pkgKey identifies an installed package version.
type pkgKey struct{ name, version, arch string }

// readPackageProbe lists the packages the step installed or changed: those
// in the list after it that were not, at that version, in the list before.
func readPackageProbe(dir string, i int, apt bool) ([]recipe.LockedPackage, error) {
	before, err := readPackageList(dir, i, ProbePackagesBefore)
	if err != nil {
		return nil, err
	}
	after, err := readPackageList(dir, i, ProbePackagesAfter)
	if err != nil {
		return nil, err
	}
	had := map[pkgKey]bool{}
	for _, k := range before {
		had[k] = true
	}
	archives := map[string]string{}
	if apt {
		if archives, err = readArchives(dir, i); err != nil {
			return nil, err
		}
	}
	var out []recipe.LockedPackage
	for _, k := range after {
		if had[k] {
			continue
		}
		out = append(out, recipe.LockedPackage{
			Name: str(k.name), Version: str(k.version), Arch: str(k.arch),
			Archive: str(archives[k.name+" "+k.version]),
		})
	}
	return out, nil
}

func readPackageList(dir string, i int, suffix string) ([]pkgKey, error) {
	data, err := readProbe(dir, i, suffix)
	if err != nil {
		return nil, err
	}
	var out []pkgKey
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 || f[0] == "" || f[1] == "" {
			continue // dpkg lists removed packages without a version
		}
		out = append(out, pkgKey{name: f[0], version: strings.TrimPrefix(f[1], "0:"), arch: f[2]})
	}
	return out, sc.Err()
}

// readArchives reads apt-cache madison's "name | version | URL suite/component arch Packages"
// lines into name+version → "URL suite/component".
func readArchives(dir string, i int) (map[string]string, error) {
	data, err := readProbe(dir, i, ProbeArchives)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			continue
		}
		src := strings.Fields(f[2])
		if len(src) >= 2 {
			key := strings.TrimSpace(f[0]) + " " + strings.TrimSpace(f[1])
			if _, seen := out[key]; !seen {
				out[key] = src[0] + " " + src[1]
			}
		}
	}
	return out, nil
}

// pipReport is the part of pip's installation report (format 0 and 1) the
// lock reads.
type pipReport struct {
	Version string `json:"version"`
	Install []struct {
		IsDirect     bool `json:"is_direct"`
		DownloadInfo struct {
			URL         string `json:"url"`
			ArchiveInfo *struct {
				Hash   string            `json:"hash"`
				Hashes map[string]string `json:"hashes"`
			} `json:"archive_info"`
		} `json:"download_info"`
		Metadata struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"metadata"`
	} `json:"install"`
}

// readPipProbe reads the report of what the pip step installed.
func readPipProbe(dir string, i int, step *PipStep) (*recipe.LockedPip, []recipe.LockedPackage, error) {
	ver, err := readProbe(dir, i, ProbePipVersion)
	if err != nil {
		return nil, nil, err
	}
	data, err := readProbe(dir, i, ProbePipReport)
	if err != nil {
		return nil, nil, err
	}
	var rep pipReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, nil, fmt.Errorf("pip's report: %w", err)
	}
	lp := &recipe.LockedPip{Version: str(strings.TrimSpace(string(ver))), Index: str(step.Index)}
	var out []recipe.LockedPackage
	for _, in := range rep.Install {
		name, version := in.Metadata.Name, in.Metadata.Version
		sha := ""
		if a := in.DownloadInfo.ArchiveInfo; a != nil {
			sha = a.Hashes["sha256"]
			if h, ok := strings.CutPrefix(a.Hash, "sha256="); ok && sha == "" {
				sha = h
			}
		}
		if sha == "" {
			return nil, nil, fmt.Errorf("pip installed %s %s from %s without a sha256 (a directory or VCS checkout?): it cannot be locked; install a built file instead", name, version, in.DownloadInfo.URL)
		}
		out = append(out, recipe.LockedPackage{
			Name: str(name), Version: str(version), SHA256: str(sha), URL: str(in.DownloadInfo.URL),
			Direct: recipe.Bool{Value: in.IsDirect},
		})
	}
	return lp, out, nil
}

// readGitProbe reads HEAD's commit and `git submodule status --recursive`
// (" <sha> <path> (<describe>)" with a status character first).
func readGitProbe(dir string, i int, g *GitStep) (*recipe.LockedGit, error) {
	data, err := readProbe(dir, i, ProbeGit)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	lg := &recipe.LockedGit{URL: str(g.URL), Ref: str(g.Ref), Commit: str(strings.TrimSpace(lines[0]))}
	for _, l := range lines[1:] {
		f := strings.Fields(strings.TrimLeft(l, " +-U"))
		if len(f) >= 2 {
			lg.Submodules = append(lg.Submodules, recipe.LockedSubmodule{Path: str(f[1]), Commit: str(f[0])})
		}
	}
	return lg, nil
}
