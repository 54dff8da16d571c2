package recipe

import "io/fs"

// The recipe model. Every field carries the position it was read from, so that
// validation, planning and build errors can point at the user's file.
//
// Struct tags drive both the strict decoder and the JSON Schema generator, so the
// two cannot drift:
//   yaml:"name"          the key in the document
//   required:"true"      the key must be present
//   doc:"..."            one line for the schema and the format reference
//   enum:"a,b"           allowed values of a string (or of each string of a list)
//   oneof:"group"        exactly one field of the group must be present (step kinds, test kinds)
//   scalar:"true"        the field receiving a shorthand: `run: "cmd"` fills RunStep.Script,
//                        `apt: [a, b]` fills AptStep.Packages
//   vars:"shell"         shell text: ${NAME} is left to the shell, build args are in its environment
//   vars:"none"          taken literally: names, prose, versions, regular expressions, modes
//   text:"line"          printing characters only, on one line (see text.go); checked as the
//                        value is read, because names and paths reach scripts and reports
//   text:"paragraph"     printing characters, line breaks and tabs
// A string without a vars tag is a structured value: ${NAME} refers to a declared arg
// (see ExpandRefs) and "$$" is a literal "$".

// APIVersion is the only recipe format version this release reads.
const APIVersion = "macabox/v1"

// Kind names the document kinds.
type Kind string

const (
	KindImage  Kind = "Image"
	KindLayer  Kind = "Layer"
	KindStack  Kind = "Stack"
	KindMatrix Kind = "Matrix"
)

// Pos is a place in a recipe file.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Str is a string scalar with its position.
type Str struct {
	Value string
	Pos   Pos
}

// Int is an integer scalar with its position.
type Int struct {
	Value int
	Pos   Pos
}

// Float is a number scalar (written as an integer or a decimal) with its
// position.
type Float struct {
	Value float64
	Pos   Pos
}

// Bool is a boolean scalar with its position.
type Bool struct {
	Value bool
	Pos   Pos
}

// Duration is a Go duration string ("90s", "15m") with its position.
type Duration struct {
	Value string
	Pos   Pos
}

// KV is one entry of an ordered string map.
type KV struct {
	Key   Str
	Value Str
}

// Map is a string-to-string mapping that keeps the order it was written in,
// because env blocks may refer to earlier entries.
type Map []KV

// Get returns the entry for key, if present.
func (m Map) Get(key string) (KV, bool) {
	for _, kv := range m {
		if kv.Key.Value == key {
			return kv, true
		}
	}
	return KV{}, false
}

// Header is what every document starts with.
type Header struct {
	APIVersion  Str    `yaml:"apiVersion" required:"true" vars:"none" doc:"recipe format version; must be macabox/v1"`
	Kind        Str    `yaml:"kind" required:"true" enum:"Image,Layer,Stack,Matrix" vars:"none" doc:"document kind"`
	Name        Str    `yaml:"name" required:"true" vars:"none" text:"line" doc:"unique name across images/ and recipes/ (lowercase letters, digits, '.', '-')"`
	Description Str    `yaml:"description" vars:"none" text:"paragraph" doc:"one paragraph shown in docs, bundles and list output"`
	About       *About `yaml:"about" doc:"what the recipe is for; fills a bundle's ISSUE.md and README"`
	// Source and Unverified ground the pinned values a document writes
	// outside its steps (arg defaults; an image's from, maca, python and
	// torch): Source cites where they are shown, Unverified names those no
	// source shows.
	Source     Str `yaml:"source" vars:"none" text:"line" doc:"the upstream documents (and commits) that show the values this document pins outside its steps: arg defaults; an image's from, maca, python and torch"`
	Unverified Map `yaml:"unverified" vars:"none" doc:"values no source shows, each with why it is used anyway: the name of an arg of this document (in an Image also from, maca, python or torch) mapped to the reason; macabox plan lists them as assumptions"`
}

// About describes the upstream work a recipe serves. A bundle's ISSUE.md follows
// the contest's six-section template and is filled from here.
type About struct {
	Title      Str    `yaml:"title" vars:"none" text:"line" doc:"task name (赛题名称)"`
	Background Str    `yaml:"background" vars:"none" text:"paragraph" doc:"where the task comes from and its technical context (背景介绍)"`
	Expected   Str    `yaml:"expected" vars:"none" text:"paragraph" doc:"what will be achieved and how it is verified (预期结果)"`
	Route      Str    `yaml:"route" vars:"none" text:"paragraph" doc:"frameworks, dependencies and environment to use (技术路线建议)"`
	Assignee   Str    `yaml:"assignee" vars:"none" text:"line" doc:"recommended assignee, or 'open' to invite others (推荐执行者)"`
	Upstream   Str    `yaml:"upstream" vars:"none" text:"line" doc:"the upstream repository the work goes to"`
	Links      []Link `yaml:"links" doc:"reference documents and repositories (参考链接)"`
}

// Link is a titled URL.
type Link struct {
	Title Str `yaml:"title" required:"true" vars:"none" text:"line" doc:"what the link points at"`
	URL   Str `yaml:"url" required:"true" vars:"none" text:"line" doc:"absolute http(s) URL"`
}

// Document is one parsed YAML document: exactly one of Image, Layer, Stack,
// Matrix is set.
type Document struct {
	File string
	// Embedded is set for a document read from an fs.FS (the catalog built
	// into macabox) rather than from the disk; File then reads
	// "<label>:<path>", the form positions print.
	Embedded *EmbeddedFile
	Pos      Pos
	Image    *Image
	Layer    *Layer
	Stack    *Stack
	Matrix   *Matrix
	// Cell is set on a Stack that no file holds but a Matrix makes (see
	// Cells): it says which matrix, and the values that made it.
	Cell *Cell
}

// EmbeddedFile is where a document read from an fs.FS came from.
type EmbeddedFile struct {
	FS fs.FS
	// Path is the file's slash-separated path in FS.
	Path string
}

// Header returns the common header of whichever kind the document holds.
func (d *Document) Header() *Header {
	switch {
	case d.Image != nil:
		return &d.Image.Header
	case d.Layer != nil:
		return &d.Layer.Header
	case d.Stack != nil:
		return &d.Stack.Header
	case d.Matrix != nil:
		return &d.Matrix.Header
	}
	return nil
}

// Image is a base: where MACA comes from.
type Image struct {
	Header    `yaml:",inline"`
	From      Str        `yaml:"from" required:"true" doc:"base image reference (registry/repo:tag[@sha256:...]) or 'scratch'"`
	Platform  Str        `yaml:"platform" vars:"none" doc:"target platform, default linux/amd64"`
	Simulated Bool       `yaml:"simulated" doc:"true for a stand-in of MACA used to exercise the pipeline; every output says so"`
	MACA      *MACAInfo  `yaml:"maca" doc:"the MACA SDK in this image"`
	Python    *Python    `yaml:"python" doc:"the Python interpreter pip steps use"`
	Torch     Str        `yaml:"torch" vars:"none" doc:"vendor torch version in the image, e.g. 2.6.0+metax3.0.0.3"`
	OS        Str        `yaml:"os" vars:"none" doc:"operating system, e.g. ubuntu22.04"`
	Labels    Map        `yaml:"labels" doc:"OCI labels added to the image"`
	Args      Map        `yaml:"args" doc:"build arguments with defaults, usable as ${NAME}; overridable with --set"`
	Env       Map        `yaml:"env" doc:"environment of the image, in order; values may refer to ${ARG} or earlier variables"`
	Stages    []Stage    `yaml:"stages" doc:"helper build stages whose results steps copy from (multi-stage builds)"`
	Steps     []Step     `yaml:"steps" doc:"ordered build steps"`
	Smoke     []Test     `yaml:"smoke" doc:"smoke tests run inside a container of the image"`
	Run       *RunConfig `yaml:"runtime" doc:"how containers of this image are started"`
}

// MACAInfo describes the MACA SDK an image carries.
type MACAInfo struct {
	Version Str `yaml:"version" required:"true" vars:"none" doc:"MACA version, 4-part, e.g. 3.0.0.5 (a -suffix such as -c600u is allowed)"`
	Path    Str `yaml:"path" vars:"none" doc:"install prefix, default /opt/maca"`
}

// Python names an interpreter.
type Python struct {
	Path    Str `yaml:"path" required:"true" vars:"none" doc:"absolute path of the interpreter"`
	Version Str `yaml:"version" vars:"none" doc:"X.Y or X.Y.Z"`
}

// RunConfig holds container runtime wishes of a recipe.
type RunConfig struct {
	Privileged Bool `yaml:"privileged" doc:"the image needs --privileged; honoured only with --allow privileged"`
	ShmSize    Str  `yaml:"shmSize" vars:"none" doc:"size of /dev/shm as docker run --shm-size reads it, e.g. 8g or 1.5g"`
}

// Layer is one application, installable on a base.
type Layer struct {
	Header   `yaml:",inline"`
	Requires *Requires  `yaml:"requires" doc:"constraints on the base image"`
	Args     Map        `yaml:"args" doc:"build arguments with defaults, usable as ${NAME}; overridable with --set"`
	Env      Map        `yaml:"env" doc:"environment set before the steps, in order"`
	Stages   []Stage    `yaml:"stages" doc:"helper build stages whose results steps copy from"`
	Steps    []Step     `yaml:"steps" required:"true" doc:"ordered build steps"`
	Smoke    []Test     `yaml:"smoke" doc:"smoke tests, run after the base's"`
	Run      *RunConfig `yaml:"runtime" doc:"how containers with this layer are started"`
}

// Requires constrains the base a layer goes on. Values are comparisons such as
// ">=3.0", "<2", "==3.0.0.5", joined by commas.
type Requires struct {
	MACA   Str `yaml:"maca" vars:"none" doc:"MACA version constraint, e.g. \">=3.0, <3.1\""`
	Python Str `yaml:"python" vars:"none" doc:"Python version constraint"`
	Torch  Str `yaml:"torch" vars:"none" doc:"torch version constraint"`
	OS     Str `yaml:"os" vars:"none" doc:"regular expression the base's os must match"`
}

// Stack is what gets built: a base plus ordered layers.
type Stack struct {
	Header `yaml:",inline"`
	Base   Str    `yaml:"base" required:"true" vars:"none" doc:"name of an Image"`
	Layers []Str  `yaml:"layers" vars:"none" doc:"names of Layers, applied in order"`
	Args   Map    `yaml:"args" doc:"overrides for arguments of the base and layers"`
	Tags   []Str  `yaml:"tags" doc:"image references to tag the result with"`
	Smoke  []Test `yaml:"smoke" doc:"smoke tests of the whole stack, run last"`
}

// Stage is a named helper build stage (a Dockerfile stage of its own).
type Stage struct {
	Name  Str    `yaml:"name" required:"true" vars:"none" text:"line" doc:"stage name, unique within the recipe"`
	From  Str    `yaml:"from" required:"true" doc:"'base' (the image being built, as it stands before this recipe), an earlier stage of this recipe, or an image reference"`
	Steps []Step `yaml:"steps" required:"true" doc:"steps of this stage"`
}

// Step is one build step. Exactly one of the kind fields is set.
type Step struct {
	Pos Pos `yaml:"-"`

	Run      *RunStep      `yaml:"run" oneof:"kind" doc:"a shell command or script (run with /bin/sh -e)"`
	Apt      *AptStep      `yaml:"apt" oneof:"kind" doc:"Debian/Ubuntu packages"`
	Dnf      *DnfStep      `yaml:"dnf" oneof:"kind" doc:"RPM packages with dnf (or yum where dnf is absent)"`
	Pip      *PipStep      `yaml:"pip" oneof:"kind" doc:"Python packages"`
	Git      *GitStep      `yaml:"git" oneof:"kind" doc:"a git checkout"`
	Copy     *CopyStep     `yaml:"copy" oneof:"kind" doc:"files from beside the recipe, or from a stage"`
	Download *DownloadStep `yaml:"download" oneof:"kind" doc:"a file fetched by URL and checked by sha256"`
	Env      Map           `yaml:"env" oneof:"kind" doc:"environment variables set from here on"`
	Workdir  *Str          `yaml:"workdir" oneof:"kind" doc:"working directory from here on"`
	User     *Str          `yaml:"user" oneof:"kind" doc:"user from here on"`

	// Source cites the upstream document this step comes from.
	Source Str `yaml:"source" vars:"none" text:"line" doc:"the upstream document (and commit) this step follows"`
	// Unverified says why the step pins a value no source shows.
	Unverified Str `yaml:"unverified" vars:"none" text:"line" doc:"why this step pins a value (version, ref, URL) that no source shows; macabox plan lists it as an assumption"`
}

// RunStep is a shell command. Written as a plain string or as a mapping.
type RunStep struct {
	Script  Str   `yaml:"script" required:"true" scalar:"true" vars:"shell" doc:"shell script; build args are in its environment"`
	Secrets []Str `yaml:"secrets" vars:"none" doc:"build secret ids mounted at /run/secrets/<id> for this step only"`
	Cache   []Str `yaml:"cache" vars:"none" doc:"directories kept between builds as cache mounts (never in the image)"`
	Network Str   `yaml:"network" enum:"default,none,host" vars:"none" doc:"network for this step"`
}

// AptStep installs Debian packages. Written as a list or as a mapping.
type AptStep struct {
	Packages     []Str `yaml:"packages" required:"true" scalar:"true" doc:"package names, optionally =version"`
	NoRecommends Bool  `yaml:"noRecommends" doc:"pass --no-install-recommends (default true)"`
}

// DnfStep installs RPM packages.
type DnfStep struct {
	Packages []Str  `yaml:"packages" required:"true" scalar:"true" doc:"package names, optionally -version"`
	Repos    []Repo `yaml:"repos" doc:"extra repositories to add before installing"`
}

// Repo is an extra RPM repository.
type Repo struct {
	Name    Str `yaml:"name" required:"true" vars:"none" doc:"repository id"`
	BaseURL Str `yaml:"baseurl" required:"true" doc:"repository base URL"`
	GPGKey  Str `yaml:"gpgkey" doc:"URL of the signing key; without it gpgcheck is off"`
}

// PipStep installs Python packages.
type PipStep struct {
	Packages     []Str `yaml:"packages" required:"true" scalar:"true" doc:"requirement specifiers, e.g. mineru[core]==2.5.4, or paths of copied wheels"`
	Python       Str   `yaml:"python" doc:"interpreter, default the base image's python.path"`
	Index        Str   `yaml:"index" doc:"index URL (--index-url)"`
	ExtraIndex   []Str `yaml:"extraIndex" doc:"extra index URLs (--extra-index-url)"`
	TrustedHosts []Str `yaml:"trustedHosts" doc:"hosts trusted without TLS (--trusted-host)"`
	Keep         []Str `yaml:"keep" doc:"installed distributions pip must not replace (pinned through a constraints file), e.g. torch"`
	NoDeps       Bool  `yaml:"noDeps" doc:"install without dependencies (--no-deps)"`
	Netrc        Str   `yaml:"netrc" vars:"none" doc:"id of a build secret holding a netrc file with the index credentials; pip reads it (never a layer, the plan or a log)"`
}

// GitStep checks out a repository.
type GitStep struct {
	URL        Str  `yaml:"url" required:"true" doc:"repository URL, without credentials"`
	Token      Str  `yaml:"token" vars:"none" doc:"id of a build secret holding an access token, or USER:PASSWORD, that git sends to the url's host (never a layer, the plan or a log)"`
	Ref        Str  `yaml:"ref" doc:"branch or tag"`
	Commit     Str  `yaml:"commit" doc:"full 40-hex commit; required for reproducible builds"`
	Dest       Str  `yaml:"dest" required:"true" doc:"absolute checkout directory"`
	Submodules Bool `yaml:"submodules" doc:"check out submodules recursively"`
	KeepGitDir Bool `yaml:"keepGitDir" doc:"keep the .git directory (default false)"`
}

// CopyStep copies files from beside the recipe, or from a stage.
type CopyStep struct {
	Src   []Str `yaml:"src" required:"true" vars:"none" text:"line" doc:"paths relative to the recipe's folder (or absolute paths in a stage with 'stage')"`
	Dest  Str   `yaml:"dest" required:"true" doc:"absolute destination path (a directory when it ends in /)"`
	Stage Str   `yaml:"stage" vars:"none" doc:"copy from this stage of the same recipe instead of the recipe folder"`
	Mode  Str   `yaml:"mode" vars:"none" doc:"octal file mode, e.g. 0755"`
	Owner Str   `yaml:"owner" doc:"user:group of the copied files"`
}

// DownloadStep fetches a URL and checks its digest.
type DownloadStep struct {
	URL    Str `yaml:"url" required:"true" doc:"http(s) URL"`
	SHA256 Str `yaml:"sha256" required:"true" doc:"expected sha256 of the content, 64 hex digits"`
	Dest   Str `yaml:"dest" required:"true" doc:"absolute destination file path"`
	Mode   Str `yaml:"mode" vars:"none" doc:"octal file mode, e.g. 0755"`
}

// Test is one smoke test. Exactly one of Run, File, Variable or Service is set.
type Test struct {
	Pos  Pos `yaml:"-"`
	Name Str `yaml:"name" required:"true" vars:"none" text:"line" doc:"unique within the target"`

	Run      Str      `yaml:"run" oneof:"test" vars:"shell" doc:"a shell command run in the container"`
	File     Str      `yaml:"file" oneof:"test" doc:"an absolute path to check"`
	Variable Str      `yaml:"variable" oneof:"test" vars:"none" doc:"an environment variable of the image to check"`
	Service  *Service `yaml:"service" oneof:"test" doc:"a background process to start and wait for; probe then checks it"`

	Probe   Str      `yaml:"probe" vars:"shell" doc:"for a service: the command that checks it once it is ready"`
	Expect  *Expect  `yaml:"expect" doc:"what must hold; default: exit code 0, or the file or variable exists"`
	Needs   []Str    `yaml:"needs" enum:"device" vars:"none" doc:"what the test needs; 'device' tests are skipped without a MACA device"`
	Timeout Duration `yaml:"timeout" vars:"none" doc:"limit for this test, default 2m"`
	XFail   Str      `yaml:"xfail" vars:"none" text:"line" doc:"why this test is expected to fail (a known gap, e.g. an operator without a MACA kernel yet): its failure is reported as an expected failure and does not fail the run; if it passes, it fails, so the mark is removed once the gap closes"`
	Env     Map      `yaml:"env" doc:"extra environment for this test; values may refer to arguments, not to the image's variables"`

	Compare *Compare `yaml:"compare" doc:"for a run test: compare its output with the same test's output on a reference platform (recorded by macabox reference record)"`
	Bench   *Bench   `yaml:"bench" doc:"for a run test: run it as a benchmark, and report its metrics beside the reference platform's"`
}

// Compare says what a run test captures and how it is compared with the
// reference platform's capture. Numbers and ratios are plain YAML numbers.
type Compare struct {
	Pos       Pos            `yaml:"-"`
	File      Str            `yaml:"file" doc:"absolute path of a file the command writes, compared instead of stdout"`
	Mode      Str            `yaml:"mode" enum:"exact,numeric,similarity" vars:"none" doc:"exact (default): the same text line for line, or the same JSON value; numeric: every number within the tolerance and the text around them the same; similarity: a ratio at least the threshold"`
	Abs       Float          `yaml:"abs" doc:"numeric: absolute tolerance (≥ 0); numbers agree when |got − reference| ≤ max(abs, rel × |reference|)"`
	Rel       Float          `yaml:"rel" doc:"numeric: relative tolerance (≥ 0), a fraction of the reference's value"`
	Threshold Float          `yaml:"threshold" doc:"similarity: the least ratio, 0 to 1 (1 − edit distance ÷ the longer text's length, in characters)"`
	Fields    []CompareField `yaml:"fields" doc:"read the capture as JSON and compare only these values, each under its own rule"`
}

// CompareField is one JSON value of a capture, with the rule it is
// compared under; unset limits are the compare's.
type CompareField struct {
	Pos       Pos   `yaml:"-"`
	Path      Str   `yaml:"path" required:"true" vars:"none" text:"line" doc:"JSON path of the value, e.g. $.results[0].loss, scores.f1 or $[\"key.with.dots\"]"`
	Mode      Str   `yaml:"mode" enum:"exact,numeric,similarity" vars:"none" doc:"how this value is compared; default the compare's mode"`
	Abs       Float `yaml:"abs" doc:"numeric: absolute tolerance; default the compare's"`
	Rel       Float `yaml:"rel" doc:"numeric: relative tolerance; default the compare's"`
	Threshold Float `yaml:"threshold" doc:"similarity: the least ratio; default the compare's"`
}

// Bench runs a run test as a benchmark: unmeasured warm-up runs, then
// measured ones, each metric read from every measured run.
type Bench struct {
	Pos     Pos      `yaml:"-"`
	Warmup  Int      `yaml:"warmup" doc:"unmeasured runs first, default 1"`
	Repeat  Int      `yaml:"repeat" doc:"measured runs, default 5 (at least 1)"`
	Metrics []Metric `yaml:"metrics" required:"true" doc:"the figures each measured run reports"`
}

// Metric is one figure of a benchmark; exactly one of regex, json and wall
// says where it comes from.
type Metric struct {
	Pos    Pos  `yaml:"-"`
	Name   Str  `yaml:"name" required:"true" vars:"none" text:"line" doc:"the metric's name, unique within the test, e.g. tokens/s"`
	Unit   Str  `yaml:"unit" vars:"none" text:"line" doc:"its unit, for reports"`
	Regex  Str  `yaml:"regex" oneof:"source" vars:"none" doc:"regular expression over stdout; its first group (else the whole match) is the number"`
	JSON   Str  `yaml:"json" oneof:"source" vars:"none" text:"line" doc:"JSON path into stdout read as JSON (or into its last line that is JSON)"`
	Wall   Bool `yaml:"wall" oneof:"source" doc:"true: the run's wall-clock time in seconds, as macabox measures it around the command"`
	Better Str  `yaml:"better" enum:"higher,lower" vars:"none" doc:"higher (a throughput) or lower (a latency): says whether a ratio to the reference is a gain"`
}

// Service is a background process a test waits for.
type Service struct {
	Run     Str      `yaml:"run" required:"true" vars:"shell" doc:"the command that starts the service"`
	Ready   *Ready   `yaml:"ready" required:"true" doc:"how to tell the service is ready"`
	Timeout Duration `yaml:"timeout" vars:"none" doc:"how long to wait for readiness, default 1m"`
}

// Ready is a readiness probe: a TCP port or an HTTP URL inside the container.
type Ready struct {
	TCP  Int `yaml:"tcp" oneof:"ready" doc:"port that accepts connections when ready"`
	HTTP Str `yaml:"http" oneof:"ready" doc:"URL that answers 2xx when ready, e.g. http://127.0.0.1:8000/health"`
}

// Expect holds the assertions of a test.
type Expect struct {
	Exit      *Int  `yaml:"exit" doc:"expected exit code, default 0"`
	Stdout    Str   `yaml:"stdout" vars:"none" doc:"regular expression stdout must match"`
	Stderr    Str   `yaml:"stderr" vars:"none" doc:"regular expression stderr must match"`
	NotStdout Str   `yaml:"notStdout" vars:"none" doc:"regular expression stdout must not match"`
	NotStderr Str   `yaml:"notStderr" vars:"none" doc:"regular expression stderr must not match"`
	Files     []Str `yaml:"files" doc:"absolute paths that must exist (non-empty) after the command"`
	Exists    *Bool `yaml:"exists" doc:"for file and variable tests: whether it must exist"`
	Mode      Str   `yaml:"mode" vars:"none" doc:"for file tests: octal permission bits, e.g. 0755"`
	Content   Str   `yaml:"content" vars:"none" doc:"for file tests: regular expression the content must match"`
	Value     Str   `yaml:"value" vars:"none" doc:"for variable tests: regular expression the value must match"`
}
