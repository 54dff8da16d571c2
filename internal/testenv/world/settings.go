// Package world builds and runs the macabox test world behind
// scripts/testenv.sh: the pinned tools, the daemons, the fixture images and
// their cache, and the variables tests read.
package world

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// Settings are the test world's knobs, read from MACABOX_* variables.
type Settings struct {
	// Cache holds everything the world makes (MACABOX_CACHE).
	Cache string
	// RegistryPort is the local registry's port on 127.0.0.1
	// (MACABOX_REGISTRY_PORT).
	RegistryPort int
	// DebianMirror is where debootstrap fetches from (MACABOX_DEBIAN_MIRROR).
	DebianMirror string
	// BuildkitRoot is the main buildkitd's root (MACABOX_BUILDKIT_ROOT).
	BuildkitRoot string
	// FixtureEpoch is the fixtures' SOURCE_DATE_EPOCH (MACABOX_FIXTURE_EPOCH).
	// Kept as given: it is part of the cache keys as text.
	FixtureEpoch string
	// StartTimeout bounds the wait for a daemon to answer
	// (MACABOX_START_TIMEOUT, in seconds).
	StartTimeout time.Duration
}

// defaultEpoch is 2025-01-01T00:00:00Z. Any fixed value works; changing it
// rebuilds the fixtures.
const defaultEpoch = "1735689600"

// SettingsFromEnv reads the settings, with home as the default cache's
// parent. A relative MACABOX_CACHE is made absolute: the paths `env` prints
// are used from other directories.
func SettingsFromEnv(getenv func(string) string, home string) (Settings, error) {
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	cache, err := filepath.Abs(or("MACABOX_CACHE", filepath.Join(home, ".cache", "macabox")))
	if err != nil {
		return Settings{}, fmt.Errorf("MACABOX_CACHE: %w", err)
	}
	s := Settings{
		Cache:        cache,
		DebianMirror: or("MACABOX_DEBIAN_MIRROR", "http://deb.debian.org/debian"),
		BuildkitRoot: or("MACABOX_BUILDKIT_ROOT", filepath.Join(cache, "buildkit")),
		FixtureEpoch: or("MACABOX_FIXTURE_EPOCH", defaultEpoch),
	}
	port, err := strconv.Atoi(or("MACABOX_REGISTRY_PORT", "5000"))
	if err != nil || port < 1 || port > 65535 {
		return Settings{}, fmt.Errorf("MACABOX_REGISTRY_PORT=%q: want a TCP port number (1-65535)", getenv("MACABOX_REGISTRY_PORT"))
	}
	s.RegistryPort = port
	if _, err := strconv.ParseUint(s.FixtureEpoch, 10, 63); err != nil {
		return Settings{}, fmt.Errorf("MACABOX_FIXTURE_EPOCH=%q: want seconds since 1970, e.g. %s", s.FixtureEpoch, defaultEpoch)
	}
	secs, err := strconv.Atoi(or("MACABOX_START_TIMEOUT", "90"))
	if err != nil || secs < 1 {
		return Settings{}, fmt.Errorf("MACABOX_START_TIMEOUT=%q: want a whole number of seconds, at least 1", getenv("MACABOX_START_TIMEOUT"))
	}
	s.StartTimeout = time.Duration(secs) * time.Second
	return s, nil
}

// The cache's layout. Existing caches are reused, so these names are fixed.
func (s Settings) runDir() string      { return filepath.Join(s.Cache, "run") }
func (s Settings) logDir() string      { return filepath.Join(s.Cache, "log") }
func (s Settings) binDir() string      { return filepath.Join(s.Cache, "bin") }
func (s Settings) fixtureDir() string  { return filepath.Join(s.Cache, "fixtures") }
func (s Settings) ociStore() string    { return filepath.Join(s.Cache, "oci") }
func (s Settings) envFile() string     { return filepath.Join(s.Cache, "testenv.env") }
func (s Settings) tmpDir() string      { return filepath.Join(s.Cache, "tmp") }
func (s Settings) registryDir() string { return filepath.Join(s.Cache, "registry") }
func (s Settings) extraDir() string    { return filepath.Join(s.Cache, "extra") }

func (s Settings) registryAddr() string {
	return "127.0.0.1:" + strconv.Itoa(s.RegistryPort)
}

func (s Settings) logFile(name string) string {
	return filepath.Join(s.logDir(), name+".log")
}
