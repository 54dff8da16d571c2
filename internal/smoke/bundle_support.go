package smoke

// ShellScripts are the POSIX sh scripts the runner runs inside the test
// container. A bundle's smoke.sh embeds the same ones, so that the tests it
// runs without macabox start services, wait for them and kill timed-out
// processes exactly as `macabox test` does.
type ShellScripts struct {
	// MarkerVar is the environment variable that tags a test's processes.
	MarkerVar string
	// Kill takes MARKER SIGNAL [grace]; see killScript.
	Kill string
	// Service takes LOGDIR COMMAND LOGFILE and prints the service's pid.
	Service string
	// Ready takes PID tcp|http PORT|URL MARKER (the service's marker);
	// exit 0 ready, 3 the service ended, 4 readiness cannot be checked.
	Ready string
	// Stat takes PATH... and prints one line per path; see statScript.
	Stat string
	// ServiceLogDir is where services write their output.
	ServiceLogDir string
	// KeepAlive is the test container's main process: it sleeps until
	// stopped, so tests can exec into it.
	KeepAlive string
}

// Scripts returns the runner's in-container scripts.
func Scripts() ShellScripts {
	return ShellScripts{
		MarkerVar:     markerVar,
		Kill:          killScript,
		Service:       serviceScript,
		Ready:         readyScript,
		Stat:          statScript,
		ServiceLogDir: serviceLogDir,
		KeepAlive:     keepAliveScript,
	}
}
