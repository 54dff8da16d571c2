package plan

// The pinned forms a locked plan renders. They install exactly the recorded
// set, and when a pin cannot be satisfied the build fails naming the
// package, the locked version and what the archive or index offers now.

// aptCheck fails, before anything is installed, for every pin the archive
// no longer has, naming the versions it offers instead: apt-get's own error
// names only the first, without alternatives. (apt-cache show cannot tell:
// it exits 0 for a version it does not know.)
const aptCheck = `macabox_pinned() { m=; for p in "$@"; do n=${p%%=*}; n=${n%%:*}; v=${p#*=}; ` +
	`o=$(apt-cache madison "$n" | cut -d'|' -f2 | tr -d ' '); printf '%s\n' "$o" | grep -qxF "$v" || { ` +
	`echo "macabox: the lock pins apt package $n at $v; the archive offers: $(printf '%s' "$o" | tr '\n' ' ')" >&2; m=1; }; done; [ -z "$m" ]; }`

// lockedAptCommands installs the locked set with every version given. The
// set already holds what recommendations brought in when it was locked, so
// no more are asked for; --allow-downgrades lets a pin win over a newer
// version the base image carries.
func lockedAptCommands(d *dockerfile, o origin, a *AptStep) []shellCmd {
	pins := quoteAll(d, o, "apt package", a.Pinned)
	return []shellCmd{
		cmd("apt-get update"),
		cmd(aptCheck),
		cmd("macabox_pinned", pins...),
		cmd("DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends --allow-downgrades", pins...),
		cmd("rm -rf", aptVolatile...),
	}
}

// lockedDnfCommands installs the locked set by full NEVRA; dnf names a pin
// it cannot find.
func lockedDnfCommands(d *dockerfile, o origin, n *DnfStep) []shellCmd {
	return dnfCommands(d, o, &DnfStep{Repos: n.Repos, Packages: n.Pinned})
}

// lockedPipCommands installs the locked set in hash-checking mode without
// resolving: pip refuses any file whose hash differs, and for a version the
// index no longer has it lists the versions it does.
func lockedPipCommands(d *dockerfile, o origin, p *PipStep) []shellCmd {
	d.check(o, "python", p.Python)
	py := shQuote(p.Python)
	lines := make([]string, 0, len(p.Pinned))
	for _, w := range p.Pinned {
		req := w.Name + "==" + w.Version
		if w.URL != "" {
			req = w.Name + " @ " + w.URL
		}
		lines = append(lines, req+" --hash=sha256:"+w.SHA256)
	}
	args := []string{"--require-hashes", "--no-deps"}
	args = append(args, pipIndexArgs(d, o, p)...)
	args = append(args, `-r "$macabox_req"`)
	return []shellCmd{
		cmd(`macabox_req="$(mktemp)"`),
		cmd(`printf '%s\n'`, append(quoteAll(d, o, "pinned requirement", lines), `>"$macabox_req"`)...),
		cmd(pipEnvOf(p)+" "+py+" -m pip install", args...),
		cmd(`rm -f "$macabox_req"`),
	}
}
