package plan

// Files that package managers write with the time or the history of the build
// in them. Removed in the same RUN as the install, so that the layer has the
// same bytes on every build (measured: with these gone, two builds of an
// apt-get install give the same manifest digest).
var (
	aptVolatile = []string{
		"/var/log/apt/*",
		"/var/log/dpkg.log",
		"/var/log/alternatives.log",
		"/var/cache/debconf/*-old",
		"/var/lib/dpkg/*-old",
		"/var/cache/ldconfig/aux-cache",
	}
	dnfVolatile = []string{
		"/var/log/dnf.log",
		"/var/log/dnf.librepo.log",
		"/var/log/dnf.rpm.log",
		"/var/log/hawkey.log",
		"/var/log/yum.log",
		"/var/lib/dnf/history.sqlite*",
		"/var/cache/ldconfig/aux-cache",
	}
)

func aptCommands(d *dockerfile, o origin, a *AptStep) []shellCmd {
	if len(a.Pinned) > 0 {
		return lockedAptCommands(d, o, a)
	}
	head := "DEBIAN_FRONTEND=noninteractive apt-get install -y"
	if a.NoRecommends {
		head += " --no-install-recommends"
	}
	return []shellCmd{
		cmd("apt-get update"),
		cmd(head, quoteAll(d, o, "apt package", a.Packages)...),
		cmd("rm -rf", aptVolatile...),
	}
}

// dnfCommands writes the repositories, then installs with dnf, or yum where
// the image has no dnf. `clean all` empties the package manager's cache
// wherever the distribution keeps it, in case that is not a mounted folder.
func dnfCommands(d *dockerfile, o origin, n *DnfStep) []shellCmd {
	if len(n.Pinned) > 0 {
		return lockedDnfCommands(d, o, n)
	}
	var cmds []shellCmd
	for _, r := range n.Repos {
		lines := []string{"[" + r.Name + "]", "name=" + r.Name, "baseurl=" + r.BaseURL, "enabled=1"}
		if r.GPGKey != "" {
			lines = append(lines, "gpgcheck=1", "gpgkey="+r.GPGKey)
		} else {
			lines = append(lines, "gpgcheck=0")
		}
		args := append(quoteAll(d, o, "repository line", lines), "| tee "+shQuote("/etc/yum.repos.d/"+r.Name+".repo")+" >/dev/null")
		cmds = append(cmds, cmd(`printf '%s\n'`, args...))
	}
	return append(cmds,
		cmd("if command -v dnf >/dev/null; then pm=dnf; else pm=yum; fi"),
		cmd(`"$pm" install -y --setopt=install_weak_deps=False`, quoteAll(d, o, "rpm package", n.Packages)...),
		cmd(`"$pm" clean all`),
		cmd("rm -rf", dnfVolatile...),
	)
}

// quoteAll quotes values for sh after checking that each fits on a line.
func quoteAll(d *dockerfile, o origin, what string, vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		d.check(o, what, v)
		out[i] = shQuote(v)
	}
	return out
}
