package plan

// keepScript prints "name==version" for each installed distribution named on
// its command line, and fails naming those that are missing: pip then gets
// them as constraints, so it can neither upgrade nor replace them (a MACA
// torch must not become a CUDA torch from PyPI). importlib.metadata reads
// exactly the names asked for, unlike `pip list`.
const keepScript = `import sys, importlib.metadata as m; names = sys.argv[1:]; ` +
	`missing = [n for n in names if not list(m.distributions(name=n))]; ` +
	`missing and sys.exit("macabox: keep: not installed: " + " ".join(missing)); ` +
	`print("\n".join(n + "==" + m.version(n) for n in names))`

// pipEnv quiets pip's network version check and root warning through the
// environment, which pip versions that predate the options ignore.
const pipEnv = "PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_INPUT=1"

// pipCommands installs with `<python> -m pip`, so the packages land in the
// interpreter the image declares. Byte code is compiled as pip does by
// default: with SOURCE_DATE_EPOCH in the environment, py_compile writes
// hash-checked .pyc files, which carry no time and so are reproducible, and
// the image does not pay the compile on every first import.
func pipCommands(d *dockerfile, o origin, p *PipStep) []shellCmd {
	if len(p.Pinned) > 0 {
		return lockedPipCommands(d, o, p)
	}
	d.check(o, "python", p.Python)
	py := shQuote(p.Python)
	var args []string
	if p.NoDeps {
		args = append(args, "--no-deps")
	}
	args = append(args, pipIndexArgs(d, o, p)...)
	if len(p.Keep) > 0 {
		args = append([]string{`--constraint "$macabox_keep"`}, args...)
	}
	for _, pkg := range p.Packages {
		d.check(o, "pip package", pkg)
		if pkg != "" && pkg[0] == '/' {
			args = append(args, shQuoteGlob(pkg))
		} else {
			args = append(args, shQuote(pkg))
		}
	}
	env := pipEnvOf(p)
	var before []shellCmd
	if d.probe {
		var report string
		before, report = pipProbe(o, py)
		args = append([]string{report}, args...)
	}
	install := cmd(env+" "+py+" -m pip install", args...)
	if len(p.Keep) == 0 {
		return append(before, install)
	}
	keep := append([]string{shQuote(keepScript)}, quoteAll(d, o, "keep", p.Keep)...)
	return append(before,
		cmd(`macabox_keep="$(mktemp)"`),
		cmd(py+" -c", append(keep, `>"$macabox_keep"`)...),
		install,
		cmd(`rm -f "$macabox_keep"`),
	)
}

// pipEnvOf is pip's environment for a step: pipEnv, and for an index that
// wants credentials NETRC naming the secret's mount, which no layer keeps.
func pipEnvOf(p *PipStep) string {
	if p.Netrc == "" {
		return pipEnv
	}
	return pipEnv + " NETRC=/run/secrets/" + p.Netrc
}

// pipIndexArgs are the options that say where pip looks, the same for a
// resolving install and a locked one.
func pipIndexArgs(d *dockerfile, o origin, p *PipStep) []string {
	var args []string
	if p.Index != "" {
		d.check(o, "index", p.Index)
		args = append(args, "--index-url "+shQuote(p.Index))
	}
	for _, u := range p.ExtraIndex {
		d.check(o, "extraIndex", u)
		args = append(args, "--extra-index-url "+shQuote(u))
	}
	for _, h := range p.TrustedHosts {
		d.check(o, "trustedHosts", h)
		args = append(args, "--trusted-host "+shQuote(h))
	}
	return args
}
