package recipe

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

// The value rules below keep rendering shell-safe: a value that passes them
// can be placed in a Dockerfile instruction or a quoted shell word without
// being able to start a new line, a new word or an option.

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
	hex40RE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	hex64RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	modeRE  = regexp.MustCompile(`^0?[0-7]{3,4}$`)
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	idRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)
	distRE  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	pyVerRE = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?$`)
	hostRE  = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]+)?$`)
)

// maxNameLen bounds recipe, stage and test names; they become tags and paths.
const maxNameLen = 100

// CheckName says why s cannot name a recipe, stage or test; nil when it can.
func CheckName(s string) error { return checkName(s) }

func checkName(s string) error {
	if len(s) > maxNameLen {
		return fmt.Errorf("name is longer than %d characters", maxNameLen)
	}
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%s is not a valid name (lowercase letters, digits, '.' and '-', starting and ending with a letter or digit)", quote(s))
	}
	return nil
}

func checkTestName(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	return checkOneLine(s)
}

func checkOneLine(s string) error {
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Errorf("must be one line without control characters, found %s", quote(string(r)))
	}
	return nil
}

func checkAbsPath(s string) error {
	if err := checkOneLine(s); err != nil {
		return err
	}
	if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("%s is not an absolute path", quote(s))
	}
	return nil
}

func checkPackage(s string) error {
	if s == "" {
		return errors.New("empty package name")
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return fmt.Errorf("package %s contains whitespace or a control character", quote(s))
	}
	if s[0] == '-' {
		return fmt.Errorf("package %s starts with '-', which the package manager would read as an option", quote(s))
	}
	return nil
}

func checkEnvKey(s string) error {
	if !IsName(s) {
		return fmt.Errorf("%s is not a valid variable name (letters, digits and _, not starting with a digit)", quote(s))
	}
	return nil
}

// checkURL accepts an absolute URL with a host and one of the schemes.
func checkURL(s string, schemes ...string) error {
	if err := checkOneLine(s); err != nil {
		return err
	}
	if strings.ContainsAny(s, " \t") {
		return fmt.Errorf("URL %s contains whitespace", quote(s))
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%s is not a URL", quote(s))
	}
	if !contains(schemes, u.Scheme) {
		return fmt.Errorf("URL %s must use %s", quote(s), joinOr(schemes))
	}
	if u.Host == "" {
		return fmt.Errorf("URL %s has no host", quote(s))
	}
	return nil
}

func checkHTTPURL(s string) error {
	if err := checkURL(s, "http", "https"); err != nil {
		return err
	}
	return noCredentials(s, secretHint)
}

func checkGitURL(s string) error {
	if err := checkURL(s, "https", "http", "ssh", "git"); err != nil {
		return err
	}
	return noCredentials(s, gitTokenHint)
}

// checkImageRef accepts "scratch" and what the registry grammar accepts
// (imageref.Parse), so a recipe names only images docker and BuildKit can
// pull.
func checkImageRef(s string) error {
	if s == "scratch" {
		return nil
	}
	if _, err := imageref.Parse(s); err != nil {
		return fmt.Errorf("%s is not an image reference such as registry.example.com/repo:tag", quote(s))
	}
	return nil
}

func checkMode(s string) error {
	if !modeRE.MatchString(s) {
		return fmt.Errorf("%s is not an octal mode such as 0755", quote(s))
	}
	return nil
}

func checkCommit(s string) error {
	if !hex40RE.MatchString(s) {
		return fmt.Errorf("%s is not a full commit id (40 lowercase hex digits)", quote(s))
	}
	return nil
}

func checkSHA256(s string) error {
	if !hex64RE.MatchString(s) {
		return fmt.Errorf("%s is not a sha256 digest (64 lowercase hex digits)", quote(s))
	}
	return nil
}

func checkDuration(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%s is not a duration such as 90s or 15m", quote(s))
	}
	if d <= 0 {
		return fmt.Errorf("duration %s must be positive", quote(s))
	}
	return nil
}

func regexpError(err error) error {
	return fmt.Errorf("invalid regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
}

func checkOwner(s string) error {
	if !ownerRE.MatchString(s) {
		return fmt.Errorf("%s is not user or user:group", quote(s))
	}
	return nil
}

func checkID(s string) error {
	if len(s) > maxNameLen || !idRE.MatchString(s) {
		return fmt.Errorf("%s is not a valid id (letters, digits, '.', '_', ':', '-')", quote(s))
	}
	return nil
}

func checkDist(s string) error {
	if !distRE.MatchString(s) {
		return fmt.Errorf("%s is not a Python distribution name", quote(s))
	}
	return nil
}

func checkHost(s string) error {
	if !hostRE.MatchString(s) {
		return fmt.Errorf("%s is not a host or host:port", quote(s))
	}
	return nil
}

// checkPlatform accepts os/arch[/variant] as BuildKit reads it
// (imageref.ParsePlatform).
func checkPlatform(s string) error {
	if _, err := imageref.ParsePlatform(s); err != nil {
		return fmt.Errorf("%s is not a platform such as linux/amd64", quote(s))
	}
	return nil
}

func checkMACAVersion(s string) error {
	v, err := ParseVersion(s)
	if err != nil {
		return err
	}
	if len(v.Parts) != 4 {
		return fmt.Errorf("MACA version %s should have 4 parts, such as 3.0.0.5", quote(s))
	}
	return nil
}

func checkPythonVersion(s string) error {
	if !pyVerRE.MatchString(s) {
		return fmt.Errorf("%s is not a Python version X.Y or X.Y.Z", quote(s))
	}
	return nil
}

func checkVersion(s string) error {
	_, err := ParseVersion(s)
	return err
}

func checkConstraint(s string) error {
	_, err := ParseConstraint(s)
	return err
}

func checkPort(i int) error {
	if i < 1 || i > 65535 {
		return fmt.Errorf("port %s is out of range 1-65535", strconv.Itoa(i))
	}
	return nil
}

func checkExit(i int) error {
	if i < 0 || i > 255 {
		return fmt.Errorf("exit code %d is out of range 0-255", i)
	}
	return nil
}

func checkLabelKey(s string) error {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '=' || r == '"' }) {
		return fmt.Errorf("label key %s must be non-empty without whitespace, '=' or quotes", quote(s))
	}
	return nil
}
