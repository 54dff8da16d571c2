package plan

// gitCommands checks out one commit (or the tip of a ref) into dest with a
// shallow fetch, so that no history beyond what the recipe names enters the
// image. When the server refuses to fetch a bare commit, the ref (or all
// branches) is fetched in full and the commit checked out from there.
//
// Without keepGitDir every .git (submodules have one each) is removed: its
// index records file times and inode numbers, which differ on every build.
// The chmod makes modes depend on the executable bit only, not on the umask.
func gitCommands(d *dockerfile, o origin, g *GitStep) []shellCmd {
	d.check(o, "git url", g.URL)
	d.check(o, "git ref", g.Ref)
	d.check(o, "git commit", g.Commit)
	d.check(o, "git dest", g.Dest)
	dest := shQuote(g.Dest)
	git := "git -C " + dest
	cmds := []shellCmd{
		cmd("git init -q", dest),
		cmd(git+" remote add origin", shQuote(g.URL)),
	}
	switch {
	case g.Commit != "":
		fallback := git + " fetch -q origin"
		if g.Ref != "" {
			fallback += " " + shQuote(g.Ref)
		}
		cmds = append(cmds,
			cmd("( "+git+" fetch -q --depth 1 origin "+shQuote(g.Commit)+" || "+fallback+" )"),
			cmd(git+" -c advice.detachedHead=false checkout -q", shQuote(g.Commit)),
		)
	default:
		ref := "HEAD"
		if g.Ref != "" {
			ref = shQuote(g.Ref)
		}
		cmds = append(cmds,
			cmd(git+" fetch -q --depth 1 origin", ref),
			cmd(git+" -c advice.detachedHead=false checkout -q FETCH_HEAD"),
		)
	}
	if g.Submodules {
		cmds = append(cmds, cmd(git+" submodule update -q --init --recursive"))
	}
	if d.probe {
		cmds = append(cmds, gitProbe(o, dest)...)
	}
	if !g.KeepGitDir {
		cmds = append(cmds, cmd("find "+dest+" -name .git -prune -exec rm -rf {} +"))
	}
	return append(cmds, cmd("chmod -R u+rwX,go+rX,go-w", dest))
}
