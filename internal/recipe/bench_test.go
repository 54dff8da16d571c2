package recipe

import (
	"fmt"
	"strings"
	"testing"
)

// benchSet generates a project of n documents: a tenth images (in chains of
// three), most of the rest layers, and stacks of four layers on those images.
func benchSet(b *testing.B, n int) *Set {
	b.Helper()
	images, stacks := n/10, n/5
	layers := n - images - stacks
	var docs []*Document
	add := func(file, src string) {
		d, err := Load(file, []byte(src))
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d...)
	}
	for i := range images {
		from := "cr.metax-tech.com/public-library/maca-pytorch:3.0.0.5-torch2.6-py310-ubuntu22.04-amd64"
		if i%3 != 0 {
			from = fmt.Sprintf("img-%d", i-1)
		}
		add(fmt.Sprintf("images/img-%d.yaml", i), fmt.Sprintf(`apiVersion: macabox/v1
kind: Image
name: img-%d
from: %s
maca: {version: 3.0.0.%d, path: /opt/maca}
python: {path: /opt/conda/bin/python3, version: "3.10"}
torch: 2.6.0+metax3.0.0.5
os: ubuntu22.04
args: {IMG_ARG_%d: "1"}
env:
  MACA_PATH: /opt/maca
  PATH: ${MACA_PATH}/bin:${PATH}
  LD_LIBRARY_PATH: ${MACA_PATH}/lib:${LD_LIBRARY_PATH}
steps:
  - apt: [curl, ca-certificates, "tool=${IMG_ARG_%d}"]
smoke:
  - {name: device, needs: [device], run: mx-smi -L, expect: {stdout: 'GPU#0 .* Available'}}
`, i, from, i, i, i))
	}
	for i := range layers {
		add(fmt.Sprintf("recipes/layer-%d/recipe.yaml", i), fmt.Sprintf(`apiVersion: macabox/v1
kind: Layer
name: layer-%d
requires: {maca: ">=3.0, <4", python: ==3.10.*, torch: ">=2.6", os: ^ubuntu}
args: {VERSION_%d: 1.2.3, INDEX: "https://mirrors.example.com/pypi/simple"}
env:
  APP_HOME: /opt/app-%d
  PATH: ${APP_HOME}/bin:${PATH}
stages:
  - name: build
    from: base
    steps:
      - git: {url: "https://github.com/example/app-%d.git", commit: 0123456789abcdef0123456789abcdef01234567, dest: /src, submodules: true}
      - run: make -C /src
steps:
  - apt: [libgl1, fonts-noto-core]
  - pip:
      packages: ["app-%d==${VERSION_%d}", numpy==1.26.4]
      index: ${INDEX}
      extraIndex: [https://repos.example.com/simple]
      keep: [torch, torchvision]
  - copy: {stage: build, src: [/src/out/], dest: /opt/app-%d/}
  - download: {url: "https://example.com/m.bin", sha256: 4bc5e8c3e2a1a0a2d6ed2b9f4d1b3a9a6f5b0c1d2e3f405162738495a6b7c8d9, dest: /opt/m.bin}
  - env: {APP_MODE: prod}
  - workdir: /opt/app-%d
smoke:
  - {name: cli, run: app --version, expect: {exit: 0, stdout: '^app'}}
  - {name: home, variable: APP_HOME, expect: {value: ^/opt}}
  - name: serves
    needs: [device]
    service: {run: app serve, ready: {http: "http://127.0.0.1:8000/health"}, timeout: 2m}
    probe: curl -sf http://127.0.0.1:8000/
    timeout: 5m
`, i, i, i, i, i, i, i, i))
	}
	for i := range stacks {
		var ls []string
		for j := range 4 {
			ls = append(ls, fmt.Sprintf("layer-%d", (i*4+j)%layers))
		}
		add(fmt.Sprintf("recipes/stacks/stack-%d.yaml", i), fmt.Sprintf(`apiVersion: macabox/v1
kind: Stack
name: stack-%d
base: img-%d
layers: [%s]
args: {STACK_TAG: v%d}
tags: ["localhost:5000/stack-%d:${STACK_TAG}"]
smoke:
  - {name: all, run: "true"}
`, i, i%images, strings.Join(ls, ", "), i, i))
	}
	if len(docs) != n {
		b.Fatalf("generated %d documents, want %d", len(docs), n)
	}
	return &Set{Docs: docs}
}

func BenchmarkValidate1000(b *testing.B) {
	s := benchSet(b, 1000)
	if errs := Validate(s, testRules); errs != nil {
		b.Fatalf("the generated recipes do not validate:\n%v", errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate(s, testRules)
	}
}

func BenchmarkLoad(b *testing.B) {
	data := []byte(strings.Repeat("---\n"+header("Image")+"steps: [{apt: [a, b, c]}, {run: make}]\n", 50))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("bench.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
