package recipe

// The rules of structured values, for the planner. The validator applies
// each rule to a value as written, with a placeholder in place of every
// ${NAME}; the planner applies the same rule to the value once the
// arguments are substituted. A value is so held to one rule however it
// reached its field: a tag written as ${TAG} with TAG set to "--privileged"
// is refused as the literal "--privileged" is.

// CheckImageRef is the rule of image references (from, tags).
func CheckImageRef(s string) error { return checkImageRef(s) }

// CheckPackage is the rule of apt, dnf and pip package names.
func CheckPackage(s string) error { return checkPackage(s) }

// CheckHTTPURL is the rule of http(s) URLs (downloads, repositories).
func CheckHTTPURL(s string) error { return checkHTTPURL(s) }

// CheckIndexURL is the rule of a pip step's index and extra indexes.
func CheckIndexURL(s string) error { return checkIndexURL(s) }

// CheckGitURL is the rule of a git step's url.
func CheckGitURL(s string) error { return checkGitURL(s) }

// CheckGitRef is the rule of a git step's ref.
func CheckGitRef(s string) error { return checkGitRef(s) }

// CheckCommit is the rule of a git step's commit.
func CheckCommit(s string) error { return checkCommit(s) }

// CheckSHA256 is the rule of a download's sha256.
func CheckSHA256(s string) error { return checkSHA256(s) }

// CheckAbsPath is the rule of absolute paths (dest, workdir, python).
func CheckAbsPath(s string) error { return checkAbsPath(s) }

// CheckOwner is the rule of users: a user step, a copy's owner.
func CheckOwner(s string) error { return checkOwner(s) }

// CheckHost is the rule of pip's trusted hosts.
func CheckHost(s string) error { return checkHost(s) }

// CheckDist is the rule of the distributions pip keeps.
func CheckDist(s string) error { return checkDist(s) }

// CheckFreeValue is the rule of free values: args, env, labels.
func CheckFreeValue(s string) error { return checkFreeValue(s) }
