package recipe

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// File names of the lock format's generated references under docs/reference.
const (
	LockSchemaFile    = "lock.schema.json"
	LockReferenceFile = "lock-format.md"
	// LockSchemaID is the $id of the lock file's JSON Schema.
	LockSchemaID = "https://github.com/ccf-ai-infra/macabox/blob/main/docs/reference/lock.schema.json"
)

// LockSchema returns the JSON Schema (draft 2020-12) of a lock file,
// generated from the struct tags its decoder uses.
func LockSchema() ([]byte, error) {
	g := &schemaGen{types: typeTable{}, defs: map[string]any{}}
	ref := g.typeSchema(reflect.TypeFor[Lock]())
	root := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         LockSchemaID,
		"title":       "macabox lock file",
		"description": fmt.Sprintf("A macabox lock file (%s, kind Lock), written by macabox lock. Generated from internal/recipe; do not edit.", APIVersion),
		"$ref":        ref["$ref"],
		"$defs":       g.defs,
	}
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the lock schema: %w", err)
	}
	return append(out, '\n'), nil
}

// LockReference returns docs/reference/lock-format.md: what a lock holds and
// how macabox uses it, then every field, from the struct tags.
func LockReference() []byte {
	types := typeTable{}
	var b strings.Builder
	b.WriteString(lockReferenceIntro)
	b.WriteString("\n## Fields\n\n")
	for _, t := range []reflect.Type{
		reflect.TypeFor[Lock](), reflect.TypeFor[LockedBase](), reflect.TypeFor[LockedArg](),
		reflect.TypeFor[LockedStep](), reflect.TypeFor[LockedPackage](), reflect.TypeFor[LockedPip](),
		reflect.TypeFor[LockedGit](), reflect.TypeFor[LockedSubmodule](), reflect.TypeFor[LockedDownload](),
		reflect.TypeFor[Unlocked](),
	} {
		writeTypeSection(&b, types.get(t))
	}
	return []byte(b.String())
}

const lockReferenceIntro = `# Lock file reference

<!-- Generated from internal/recipe by "make generate"; do not edit by hand. -->

中文说明见 [lock-format.zh-CN.md](lock-format.zh-CN.md)。

A lock file records the exact identity of every input of one target (a Stack, or an
Image built on its own), so that a build next month installs exactly what was installed
when the lock was made, and fails, naming what moved, when that is no longer possible.
` + "`macabox lock TARGET`" + ` writes it as ` + "`<target>.lock.yaml`" + ` beside the target's recipe;
commit it with the recipe. It is one YAML document (` + "`apiVersion: macabox/v1`, `kind: Lock`" + `),
checked against [lock.schema.json](lock.schema.json) and, when read, with a
` + "`file:line:col`" + ` message for every problem, like a recipe. A lock that does not validate, or
that was made for another target or platform, is refused: nothing is built from it.

## What is locked, and how it is resolved

Everything is resolved by building the target once more through BuildKit, from scratch,
with each step recording what it did: the lock sees exactly the images, networks,
package indexes and mirrors the build sees.

| input | recorded | a locked build renders |
|---|---|---|
| base image (registry) | the digest BuildKit's resolver gives for the platform | ` + "`FROM ref@sha256:…`" + ` |
| base image (OCI layout, ` + "`--base`" + `) | the digest given | the same ` + "`--base`" + `, checked against it |
| ` + "`apt`" + ` step | every package the step installed or changed (dpkg after minus before), version, architecture, archive | ` + "`apt-get install name:arch=version …`" + ` for the whole set, after a check that names every pin the archive no longer has |
| ` + "`dnf`" + ` step | the same, from rpm | ` + "`dnf install name-epoch:version-release.arch …`" + ` |
| ` + "`pip`" + ` step | the complete set pip installed: name, version, the file it chose and its sha256 (pip's installation report; pip 22.2 or newer in the image) | a requirements file in hash-checking mode, ` + "`--require-hashes --no-deps`" + ` |
| ` + "`git`" + ` step | the commit the ref resolved to, and the submodules' | a checkout of that commit |
| ` + "`download`" + ` step | the URL and the sha256 the recipe already pins | unchanged: the checksum is the lock |
| build arguments | their values | unchanged: they are recipe inputs |
| ` + "`run`" + ` steps that fetch by themselves (curl, wget, git clone, pip, model downloads, …) | listed under ` + "`unlocked`" + ` with their recipe line | unchanged: no lock can pin them |

## How builds use it

- ` + "`macabox build --locked`" + ` renders the pinned forms above. A pin that can no longer be
  met fails the build naming the package, the locked version and what the index or mirror
  offers now. A step whose recipe text changed since it was locked is refused: run
  ` + "`macabox lock --update`" + `.
- ` + "`--frozen`" + ` also refuses a lock made from other recipe inputs (` + "`inputs`" + `), naming the
  steps whose inputs changed; ` + "`macabox lock --check`" + ` does the same check without building
  and exits 1 when a lock is stale, for CI.
- ` + "`macabox export`" + ` of a stack with a lock builds it locked and ships the lock in the
  bundle; the pinned Dockerfile is what the bundle holds.
- ` + "`macabox lock --update --only ID`" + ` refreshes one input (a step id such as
  ` + "`mineru#4`" + `, or a base reference) and keeps the rest.

A locked build and an unlocked build of the same day install the same packages, but their
Dockerfiles differ (the pinned forms are written out, so that a reader sees them), and so
do their image digests: compare locked builds with locked builds.

The file is sorted (steps in the order the plan applies them, everything else by name),
positions and empty fields are left out, and locking twice with nothing changed gives the
same bytes, so a change reads as a small diff in a pull request.
`
