package plan

import (
	"fmt"
	"net/url"
)

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
	var cmds []shellCmd
	fetch := git // what talks to the server
	if g.Token != "" {
		scope, err := credentialScope(g.URL)
		if err != nil {
			d.fail(fmt.Errorf("%s: git url: %w", o.pos, err))
		}
		// Command-line config: nothing is written to a config file. The
		// empty helper drops any the image configures (one that would
		// store the credentials in a layer); the one added answers only
		// for the URL's host, so submodules elsewhere never see the token.
		cmds = append(cmds, cmd("macabox_git_auth="+shQuote(gitCredentialHelper(g.Token))))
		fetch += " -c credential.helper= -c " + shQuote("credential."+scope+".helper=") + `"$macabox_git_auth"`
	}
	cmds = append(cmds,
		cmd("git init -q", dest),
		cmd(git+" remote add origin", shQuote(g.URL)),
	)
	switch {
	case g.Commit != "":
		fallback := fetch + " fetch -q origin"
		if g.Ref != "" {
			fallback += " " + shQuote(g.Ref)
		}
		cmds = append(cmds,
			cmd("( "+fetch+" fetch -q --depth 1 origin "+shQuote(g.Commit)+" || "+fallback+" )"),
			cmd(git+" -c advice.detachedHead=false checkout -q", shQuote(g.Commit)),
		)
	default:
		ref := "HEAD"
		if g.Ref != "" {
			ref = shQuote(g.Ref)
		}
		cmds = append(cmds,
			cmd(fetch+" fetch -q --depth 1 origin", ref),
			cmd(git+" -c advice.detachedHead=false checkout -q FETCH_HEAD"),
		)
	}
	if g.Submodules {
		cmds = append(cmds, cmd(fetch+" submodule update -q --init --recursive"))
	}
	if d.probe {
		cmds = append(cmds, gitProbe(o, dest)...)
	}
	if !g.KeepGitDir {
		cmds = append(cmds, cmd("find "+dest+" -name .git -prune -exec rm -rf {} +"))
	}
	return append(cmds, cmd("chmod -R u+rwX,go+rX,go-w", dest))
}

// credentialScope is the part of a repository URL git matches credential
// configuration against: scheme and host (with its port).
func credentialScope(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%q is not an http(s) URL, which a token needs", rawURL)
	}
	return u.Scheme + "://" + u.Host, nil
}

// gitCredentialHelper is the credential helper git runs to get credentials
// ("get"; it ignores "store" and "erase"). It reads the build secret id when
// git asks, so the value is in no command line, environment or file of the
// image: a value USER:PASSWORD as it is, a bare token with the user name
// x-access-token, which GitHub and others accept with a token. Without the
// secret it says so and gives nothing, and git goes on without credentials.
func gitCredentialHelper(id string) string {
	file := "/run/secrets/" + id
	return `!f() { test "$1" = get || return 0; ` +
		`if [ ! -r ` + file + ` ]; then echo "macabox: no build secret ` + id + ` (--secret id=` + id + `,env=VAR): fetching without credentials" >&2; return 0; fi; ` +
		`s=$(cat ` + file + `); ` +
		`case $s in *:*) printf 'username=%s\npassword=%s\n' "${s%%:*}" "${s#*:}" ;; ` +
		`*) printf 'username=x-access-token\npassword=%s\n' "$s" ;; esac; }; f`
}
