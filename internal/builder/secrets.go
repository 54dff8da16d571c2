package builder

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
)

// Secret is a build secret: RUN --mount=type=secret,id=ID reads it. Its value
// travels only through the session's secrets service, never as a build arg,
// so it reaches no layer, config, cache key or log.
type Secret struct {
	ID  string
	Src string // file holding the value
	Env string // environment variable holding the value
}

// ParseSecret reads the --secret syntax: "id=NAME,src=FILE" or
// "id=NAME,env=VAR" (type=file|env is accepted, as buildx allows).
func ParseSecret(s string) (Secret, error) {
	kv, err := parseCSV(s)
	if err != nil {
		return Secret{}, fmt.Errorf("secret %q: %w", s, err)
	}
	sec := Secret{ID: kv["id"], Src: kv["src"], Env: kv["env"]}
	if sec.Src == "" {
		sec.Src = kv["source"]
	}
	switch kv["type"] {
	case "", "file", "env":
	default:
		return Secret{}, fmt.Errorf("secret %q: unknown type %q: use file or env", s, kv["type"])
	}
	if sec.ID == "" {
		return Secret{}, fmt.Errorf("secret %q: missing id=NAME", s)
	}
	if (sec.Src == "") == (sec.Env == "") {
		return Secret{}, fmt.Errorf("secret %q: give exactly one of src=FILE or env=VAR", s)
	}
	return sec, nil
}

// secretsAttachable checks every secret before the build starts, so a
// missing file or unset variable is reported by name rather than as a RUN
// failure halfway through.
func secretsAttachable(secs []Secret, lookupEnv func(string) (string, bool)) (session.Attachable, error) {
	if len(secs) == 0 {
		return nil, nil
	}
	values := make(map[string][]byte, len(secs))
	for _, s := range secs {
		if _, dup := values[s.ID]; dup {
			return nil, fmt.Errorf("secret %q given twice", s.ID)
		}
		if s.Env != "" {
			v, ok := lookupEnv(s.Env)
			if !ok {
				return nil, fmt.Errorf("secret %q: environment variable %s is not set", s.ID, s.Env)
			}
			values[s.ID] = []byte(v)
			continue
		}
		v, err := os.ReadFile(s.Src)
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", s.ID, err)
		}
		values[s.ID] = v
	}
	return secretsprovider.FromMap(values), nil
}
