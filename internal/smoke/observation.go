package smoke

import "time"

// Observation is everything the runner saw while running one test. Evaluate
// judges it against the test; nothing here is interpreted yet.
type Observation struct {
	// TimedOut is set when the test as a whole hit its timeout (Timeout).
	TimedOut bool
	Timeout  time.Duration

	// Command is the run of a command test, or the probe of a service test.
	Command *CommandOutput
	// Files are the paths a file test or a command's expect.files asked about,
	// in the order asked.
	Files []FileState
	// Variable is the environment variable of a variable test.
	Variable *VariableState
	// Service is the readiness wait of a service test.
	Service *ServiceState
	// Captured is the file a compare test captures (stdout is in Command).
	Captured *CapturedFile
	// Runs are a bench test's runs, warm-up first; Command is the last.
	Runs []BenchRun
}

// CapturedFile is the content of the file a compare test names.
type CapturedFile struct {
	Text string
	// Problem says why it could not be read; "" when it was.
	Problem string
}

// BenchRun is one run of a bench test's command.
type BenchRun struct {
	Output   CommandOutput
	Duration time.Duration
	Warmup   bool
}

// CommandOutput is how one shell command ended.
type CommandOutput struct {
	Exit   int
	Stdout string
	Stderr string
	// Killed is set when macabox stopped the command at the test's timeout;
	// Exit is then whatever the killed shell reported.
	Killed bool
}

// FileState is what a path looked like inside the container.
type FileState struct {
	Path   string
	Exists bool
	// Type is one of file, dir, char, block, fifo, socket, other.
	Type     string
	NonEmpty bool
	// Perm holds the Unix permission bits (07777) when they could be read.
	Perm      uint32
	PermKnown bool
	// Content is the file's content when a content check asked for it.
	Content     string
	ContentRead bool
}

// VariableState is one variable of the container's environment as a process
// started in the test would see it: image env, container env, then test env.
type VariableState struct {
	Name  string
	Set   bool
	Value string
}

// ServiceState is how waiting for a service went.
type ServiceState struct {
	Ready   bool
	Waited  time.Duration
	Timeout time.Duration
	// Exited is set when the service process ended before it became ready.
	Exited bool
	// ProbeProblem explains why readiness could not be checked at all, e.g.
	// no HTTP client in the image.
	ProbeProblem string
	// Log is the service's combined stdout and stderr.
	Log string
}
