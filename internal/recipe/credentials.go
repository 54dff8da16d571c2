package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// Credentials have no place in a recipe: whatever a recipe holds ends up in
// the plan, the Dockerfile's build arguments, the image's history and every
// bundle. A git step reads an access token from a build secret (token:), a
// pip step a netrc (netrc:), and a run step any secret it mounts.

// urlUserInfo finds "scheme://userinfo@" in text, anywhere: in a URL field
// or in free text such as an argument's value.
var urlUserInfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*)://([^/?#@\s]*)@`)

// URLCredentials returns the first URL in s that carries credentials, up to
// its '@', or "" when there is none. A user name alone counts for http(s)
// and ftp, where it is how a token is passed (https://TOKEN@host/); with
// other schemes it names an account (ssh://git@host/), and only a password
// counts.
func URLCredentials(s string) string {
	for _, m := range urlUserInfo.FindAllStringSubmatchIndex(s, -1) {
		scheme, info := strings.ToLower(s[m[2]:m[3]]), s[m[4]:m[5]]
		if info == "" {
			continue
		}
		if strings.Contains(info, ":") || strings.Contains(scheme, "http") || strings.Contains(scheme, "ftp") {
			return s[m[0]:m[1]]
		}
	}
	return ""
}

// Hints for a URL with credentials, naming the secret that replaces them.
const (
	gitTokenHint = "put the token in a build secret instead: token: gittoken in the git step, and --secret id=gittoken,env=GIT_TOKEN when building"
	pipNetrcHint = "put the credentials in a netrc passed as a build secret instead: netrc: pipnetrc in the pip step, and --secret id=pipnetrc,src=$HOME/.netrc when building"
	secretHint   = "pass them as a build secret to a run step instead (secrets: [id] in the step, --secret id=ID,env=VAR when building)"
)

// credentialsError is a URL with credentials where none may be.
type credentialsError struct {
	found, hint string
}

func (e *credentialsError) Error() string {
	return fmt.Sprintf("%s carries credentials, which would be stored in the plan, the image and every bundle; %s", quote(e.found), e.hint)
}

// noCredentials refuses a value carrying credentials in a URL, with hint.
func noCredentials(s, hint string) error {
	if c := URLCredentials(s); c != "" {
		return &credentialsError{found: c, hint: hint}
	}
	return nil
}

// checkFreeValue is the rule of args, env and label values: one line,
// without credentials.
func checkFreeValue(s string) error {
	if err := checkOneLine(s); err != nil {
		return err
	}
	return noCredentials(s, secretHint)
}

// checkIndexURL is the rule of a pip step's index and extra indexes.
func checkIndexURL(s string) error {
	if err := checkURL(s, "http", "https"); err != nil {
		return err
	}
	return noCredentials(s, pipNetrcHint)
}
