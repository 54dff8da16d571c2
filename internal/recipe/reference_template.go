package recipe

// referenceTemplate is the hand-written part of docs/reference/recipe-format.md.
// Its YAML examples are loaded and validated by a test, so they stay correct.
const referenceTemplate = `# Recipe format reference

<!-- Generated from internal/recipe by "make generate"; do not edit by hand. -->

A recipe file is YAML holding one or more documents separated by ` + "`---`" + `. Every
document starts with ` + "`apiVersion: {{.APIVersion}}`" + ` and a ` + "`kind`" + `:

- **Image**: a base, where MACA comes from: a registry image (or another Image of the
  tree) plus what it contains (MACA version, Python, torch, OS), its environment and
  its smoke tests.
- **Layer**: one application, installable on a base: ordered build steps, optional
  helper stages, requirements on the base, smoke tests.
- **Stack**: what gets built: a base Image plus Layers in order, argument overrides,
  tags and smoke tests of the whole.
- **Matrix**: a stack over several bases and argument values at once: each
  combination is a cell, a Stack of its own that is planned, locked, built and tested
  like any other.

Base images live under ` + "`images/`" + `, layers and stacks under ` + "`recipes/`" + `; every
` + "`*.yaml`" + ` and ` + "`*.yml`" + ` file below them is read. The images and recipes of macabox
itself are built into the binary (the catalog, ` + "`macabox list`" + `) and may be named from any
tree; a document of your tree replaces the catalog's of the same name and kind. Editors can
check recipes against the JSON Schema beside this file (` + "`recipe.schema.json`" + `; ` + "`macabox init`" + `
writes a copy into your tree), e.g. with a first line
` + "`# yaml-language-server: $schema=../docs/reference/recipe.schema.json`" + `.

## Example

` + "```yaml" + `
apiVersion: {{.APIVersion}}
kind: Image
name: maca-3.0
from: cr.metax-tech.com/public-ai-release/maca/vllm:maca.ai3.0.0.5-torch2.6-py310-ubuntu22.04-amd64
maca: {version: 3.0.0.5, path: /opt/maca}
python: {path: /opt/conda/bin/python3, version: "3.10"}
torch: 2.6.0+metax3.0.0.3
os: ubuntu22.04
env:
  MACA_PATH: /opt/maca
  PATH: ${MACA_PATH}/bin:${PATH}
smoke:
  - name: device visible
    needs: [device]
    run: mx-smi -L
    expect: {stdout: 'GPU#0 .* Available'}
---
apiVersion: {{.APIVersion}}
kind: Layer
name: mineru
requires: {maca: ">=3.0", python: ==3.10.*}
args: {MINERU_VERSION: 2.5.4}
steps:
  - apt: [fonts-noto-core, libgl1]
  - pip:
      packages: ["mineru[core]==${MINERU_VERSION}"]
      index: https://mirrors.aliyun.com/pypi/simple
      keep: [torch, torchvision]   # never let pip replace the vendor's MACA builds
  - run: mineru-models-download -s modelscope -m pipeline
  - env: {MINERU_MODEL_SOURCE: local}
smoke:
  - {name: cli, run: mineru --version, expect: {exit: 0}}
  - name: parse a PDF
    needs: [device]
    run: mineru -p /opt/macabox/samples/demo.pdf -o /tmp/out -b pipeline
    expect: {files: [/tmp/out/demo/auto/demo.md]}
    timeout: 15m
---
apiVersion: {{.APIVersion}}
kind: Stack
name: mineru-maca-3.0
base: maca-3.0
layers: [mineru]
tags: ["localhost:5000/mineru:${MINERU_VERSION}"]
` + "```" + `

The same layer on two MACA lines and several releases, as a matrix of four cells:

` + "```yaml" + `
apiVersion: {{.APIVersion}}
kind: Image
name: maca-3.1
from: cr.metax-tech.com/public-ai-release/maca/vllm:maca.ai3.1.0.7-torch2.6-py310-ubuntu22.04-amd64
maca: {version: 3.1.0.7}
python: {path: /opt/conda/bin/python3, version: "3.10"}
---
apiVersion: {{.APIVersion}}
kind: Matrix
name: mineru-lines
base: [maca-3.0, maca-3.1]
layers: [mineru]
axes:
  MINERU_VERSION: ["2.6.5", "2.6.8"]
exclude:
  - {base: maca-3.1, MINERU_VERSION: "2.6.5"}
include:
  - {base: maca-3.0, MINERU_VERSION: "2.5.4"}
tags: ["localhost:5000/mineru:${MINERU_VERSION}-maca${MACA_VERSION}"]
` + "```" + `

Its cells are ` + "`mineru-lines-maca-3.0-2.6.5`" + `, ` + "`mineru-lines-maca-3.0-2.6.8`" + `,
` + "`mineru-lines-maca-3.1-2.6.8`" + ` and ` + "`mineru-lines-maca-3.0-2.5.4`" + `.

A layer with a helper stage, a pinned git checkout and a service test:

` + "```yaml" + `
apiVersion: {{.APIVersion}}
kind: Layer
name: vllm-metax
requires: {maca: ==3.0.*}
stages:
  - name: wheel
    from: base                       # the image being built, before this layer
    steps:
      - git:
          url: https://github.com/MetaX-MACA/vLLM-metax.git
          commit: 0123456789abcdef0123456789abcdef01234567
          dest: /src/vllm-metax
          submodules: true
      - workdir: /src/vllm-metax
      - run: python setup.py bdist_wheel --dist-dir /wheels
steps:
  - copy: {stage: wheel, src: [/wheels/], dest: /tmp/wheels/}
  - run: pip install --no-deps /tmp/wheels/*.whl
smoke:
  - name: serves
    needs: [device]
    service:
      run: vllm serve /models/opt-125m --port 8000
      ready: {http: "http://127.0.0.1:8000/health"}
      timeout: 10m
    probe: curl -sf http://127.0.0.1:8000/v1/models
    expect: {stdout: opt-125m}
` + "```" + `

## Rules

**Strict reading.** Unknown keys are errors (with a "did you mean" hint), and so are
duplicate keys, values of the wrong type and missing required fields. String fields
take YAML strings only: write ` + "`version: \"3.10\"`" + `, since an unquoted ` + "`3.10`" + ` is the
number 3.1 to every other YAML reader. Values of ` + "`args`" + `, ` + "`env`" + ` and ` + "`labels`" + ` may be
numbers or booleans and keep their text. Anchors, aliases, merge keys (` + "`<<`" + `) and
custom tags are not supported. A file may be at most {{.MaxFileSize}} bytes, hold at most
{{.MaxDocuments}} documents and nest at most {{.MaxDepth}} levels deep; it must be UTF-8
text without control characters.

**Recipe files** are regular files. A recipe file may be a symlink to a regular file inside
the folder it is read from (` + "`images/`" + `, ` + "`recipes/`" + `, or the folder named on the command
line); links leading elsewhere, named pipes, devices and sockets are refused without being
read. A folder of more than {{.MaxTreeEntries}} files and folders is not walked. The path of a
recipe file below that folder must be printable (see below).

**Printable text.** Paths of recipe files and copy sources, names, descriptions, ` + "`about`" + `
texts, stage and test names and ` + "`source`" + ` citations reach generated scripts, bundle
documents and terminals, so they must be printable UTF-8: no control characters, no invisible
formatting characters (bidi controls such as U+202E and U+2066, zero-width characters) and no
line or paragraph separators. Descriptions and the longer ` + "`about`" + ` texts may span lines.

**Names** of images, layers, stacks and stages are lowercase letters, digits, ` + "`.`" + ` and
` + "`-`" + `, starting and ending with a letter or digit, unique across ` + "`images/`" + ` and
` + "`recipes/`" + `. Smoke test names are unique within a document.

**Arguments and references.** ` + "`args`" + ` declare build arguments with defaults;
` + "`macabox build --set NAME=VALUE`" + ` overrides them. A structured value (column
` + "`${NAME}`" + ` = yes below) may use ` + "`${NAME}`" + ` to refer to a declared argument: the
document's own, its base chain's, and for a layer also the stack's and earlier
layers'. Always available: {{.Builtins}}. Values of ` + "`env`" + ` may also refer to variables
set earlier in the same chain, and to {{.InheritedEnv}}. ` + "`$$`" + ` is a literal ` + "`$`" + `, and
so is a ` + "`$`" + ` not followed by ` + "`{`" + ` (` + "`$basearch`" + `); ` + "`${NAME:-default}`" + ` and
other shell forms are errors. Shell fields (` + "`run`" + ` scripts, test commands, probes)
are left to the shell. A ` + "`run`" + ` step's shell finds build arguments in its environment;
a smoke test runs in a container of the image, where they are not set, so pass one
through the test's ` + "`env`" + ` (` + "`env: {V: \"${V}\"}`" + `). In a smoke test, ` + "`file`" + `,
` + "`expect.files`" + `, ` + "`service.ready.http`" + ` and ` + "`env`" + ` values are substituted when
planning, like every structured value; a test's ` + "`env`" + ` may refer to arguments only,
not to the image's variables, which nothing would expand there. Inside a flow list,
quote values with ` + "`${...}`" + `: ` + "`[\"pkg==${V}\"]`" + `. Substitution is bounded, so that
arguments defined in terms of each other cannot blow up: a value may grow to at most
32 KiB, and all of a target's values together to 16 MiB; ` + "`macabox plan`" + ` stops at the
argument or field that passes a limit and names the arguments it grew through. The
rendered Dockerfile holds at most 16 MiB, in lines of at most 65535 bytes, the most
BuildKit reads.

**Version constraints** (` + "`requires`" + `) are comparisons joined by commas, all of which
must hold: ` + "`>=3.0, <3.1`" + `, ` + "`==3.0.*`" + `, ` + "`!=2.33.0.6`" + `. Versions are dotted numbers;
a ` + "`-suffix`" + ` (` + "`3.8.0.3-c600u`" + `) or ` + "`+local`" + ` part (` + "`2.6.0+metax3.0.0.5`" + `) is ignored
when comparing, and missing parts count as zero (` + "`3.0`" + ` = ` + "`3.0.0.0`" + `). A bare version
is refused: write ` + "`==3.0.*`" + ` or ` + "`>=3.0`" + `. A layer's requirements are checked against
the nearest image of its stack's base chain that declares the fact.

**Base chains.** An Image's ` + "`from`" + ` may name another Image of the tree, which makes a
chain; it must not loop. A stage's ` + "`from`" + ` is ` + "`base`" + ` (the image being built, as it
stands before this recipe), an earlier stage of the same recipe, or an image.

**Copy sources** are paths relative to the recipe's folder (globs allowed); a folder copies
every file below it. Absolute paths, ` + "`..`" + ` escapes and missing files are errors, and so is
anything a source brings in that is not a regular file inside the folder: symlinks leading
outside it or to a folder, named pipes, devices and sockets. A name that ` + "`COPY`" + ` would read
as a pattern (` + "`*`" + `, ` + "`?`" + `, ` + "`[`" + `, ` + "`\\`" + `, surrounding spaces) cannot be copied. ` + "`macabox validate`" + `
applies exactly the check that planning and exporting apply. Copies from a stage take absolute
paths inside that stage. A copied file may be at most 512 MiB, and all of a
target's together 1 GiB: they go into the build context and into every bundle, so
mount large files such as model weights when the container runs (` + "`--mount`" + `)
instead.

**Safe values.** Package names contain no whitespace and do not start with ` + "`-`" + `;
` + "`env`" + ` keys are variable names and values are one line; paths are absolute; URLs are
http(s) (git also takes ssh and git); ` + "`sha256`" + ` is 64 hex digits and ` + "`commit`" + ` 40;
modes are octal; durations are Go durations (` + "`90s`" + `, ` + "`15m`" + `); expectations are RE2
regular expressions. A value that uses ` + "`${NAME}`" + ` is held to the same rule once the
arguments are substituted, ` + "`--set`" + ` values included: ` + "`macabox plan`" + ` refuses it at the
field and names the arguments it came through, e.g. ` + "`tags: [\"app:${TAG}\"]`" + ` with
` + "`--set TAG=--privileged`" + `.

**Credentials** never go into a recipe, an argument or ` + "`--set`" + `: what those hold ends
up in the plan, the image's build arguments and history, and every bundle. A URL with
credentials (` + "`https://user:token@host/`" + `, ` + "`https://token@host/`" + `) is refused wherever it
is written. Give them as build secrets instead, which BuildKit mounts for one step
only and which reach no layer, build argument, log or bundle:

- ` + "`git`" + ` with ` + "`token: gittoken`" + `, built with ` + "`--secret id=gittoken,env=GIT_TOKEN`" + `: git's
  credential helper reads the token (or ` + "`USER:PASSWORD`" + `; a bare token goes with the user
  name ` + "`x-access-token`" + `) from the secret when the server asks, and offers it to the
  URL's host only, so submodules elsewhere never see it. Without the secret git fetches
  without credentials, as a public repository needs, and the log says which secret
  was not given.
- ` + "`pip`" + ` with ` + "`netrc: pipnetrc`" + `, built with ` + "`--secret id=pipnetrc,src=$HOME/.netrc`" + `:
  pip reads the index credentials from that netrc
  (` + "`machine HOST login USER password TOKEN`" + `).
- ` + "`run`" + ` with ` + "`secrets: [id]`" + `: the script reads ` + "`/run/secrets/<id>`" + `; the build fails when
  the secret is not given.

**Matrices.** A Matrix puts the same layers on several bases and argument values.
` + "`base`" + ` lists Images and ` + "`axes`" + ` maps args that the matrix's layers declare (and its
` + "`args`" + ` do not set) to the values they take. Every combination is a cell, the base
varying slowest and the axes in the order written. An ` + "`exclude`" + ` entry maps axes
(` + "`base`" + ` or a name of ` + "`axes`" + `) to one of their values and drops every combination that
has all of them; an ` + "`include`" + ` entry then adds one cell, naming ` + "`base`" + ` and a value
of every axis (a value the axis does not list is allowed). A cell is a Stack of the
matrix's layers, args, tags and smoke tests with its values as args, named after the
matrix and its values: ` + "`<matrix>-<base>-<value>...`" + `, each value lower-cased and
every run of characters other than letters, digits and ` + "`.`" + ` turned into ` + "`-`" + ` (so
` + "`2.6.0+metax3.1`" + ` gives ` + "`2.6.0-metax3.1`" + `). The name depends on the cell's values
alone, and must be a valid name that no other document and no other cell has. Name a
cell wherever a stack is named; its lock is ` + "`<cell>.lock.yaml`" + ` beside the matrix.
` + "`macabox build`" + `, ` + "`test`" + `, ` + "`export`" + ` and ` + "`lock`" + ` also take the matrix's name and
do every cell. The tags must differ between cells: refer to an axis or to
` + "`${MACA_VERSION}`" + `; without tags a cell is ` + "`macabox.local/<cell>:latest`" + `. A matrix may
span at most {{.MaxCombinations}} combinations before ` + "`exclude`" + ` and hold at most
{{.MaxCells}} cells.

**Grounded values.** A pinned value (a version, label, ref, tag or URL) cites where it
is shown: a step's ` + "`source`" + ` for what the step writes, the document's ` + "`source`" + ` for arg
defaults and an image's ` + "`from`" + `, ` + "`maca`" + `, ` + "`python`" + ` and ` + "`torch`" + `. A value no source shows is marked with
` + "`unverified`" + ` and the reason it is used anyway: on the step, or in the document's
` + "`unverified`" + ` map under the arg's name (in an Image also the field's name).
` + "`macabox plan`" + ` lists every marked value as an assumption to check on hardware.

## Kinds and fields

{{.Types}}`
