package bundle

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ccf-ai-infra/macabox/internal/evidence"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// A bundle's evidence: what its image is judged on besides "it runs". The
// files live under evidence/ (the lock, when there is one, is the bundle's
// own lock.yaml) and are listed in SHA256SUMS like the rest;
// the in-toto statement (evidence.StatementName) sits beside SHA256SUMS,
// unlisted, and names SHA256SUMS's digest, so that signing it signs the
// whole bundle.
const (
	evidenceDir = "evidence"
	// ReferencesDir holds the reference results, one file per test, as
	// they were recorded beside the recipe.
	ReferencesDir = evidenceDir + "/refs"
	// ResultsName is the contributor's last test report (CTRF).
	ResultsName = evidenceDir + "/results.ctrf.json"
	// SBOMName is the CycloneDX SBOM of the packages the build installed.
	SBOMName = evidenceDir + "/sbom.cdx.json"
)

// evidenceDocFiles describe the evidence files, for the READMEs.
var evidenceDocFiles = []docFile{
	{ReferencesDir + "/*.json", "results recorded on the reference platform, with their provenance (tests with compare: or bench:)", "在参考平台上记录的结果及其来源（含 compare: 或 bench: 的测试）"},
	{ResultsName, "the contributor's last test and benchmark report, CTRF (when given to export)", "贡献者最近一次的测试与性能报告，CTRF 格式（导出时提供才有）"},
	{SBOMName, "CycloneDX SBOM of the packages the build installed", "构建所安装软件包的 CycloneDX SBOM"},
	{"attestation.intoto.json", "unsigned in-toto statement naming the image and SHA256SUMS: sign it with your own key; the one file SHA256SUMS does not list", "未签名的 in-toto 声明，指明镜像与 SHA256SUMS：请用自己的密钥签名；SHA256SUMS 唯一不列出的文件"},
}

// maxEvidenceBytes caps an evidence file a reproduction reads back: a
// reference holds at most a captured output (1 MiB per stream) and a test
// report a few of those.
const maxEvidenceBytes = 32 << 20

// Evidence is what the pipeline hands a bundle besides the build.
type Evidence struct {
	// References are the target's reference files, by file name.
	References map[string][]byte
	// TestReport is the contributor's last test report, CTRF as macabox
	// test writes it; nil when none was given.
	TestReport []byte
	// OS is the base's os as its recipe gives it, which says whose dpkg
	// packages the SBOM lists.
	OS string
}

// evidenceFiles are the evidence/ files of the bundle.
func (in *contents) evidenceFiles() (Files, error) {
	e := in.Evidence
	var out Files
	for name, data := range e.References {
		out = append(out, File{Name: ReferencesDir + "/" + name, Data: data})
	}
	if e.TestReport != nil {
		out = append(out, File{Name: ResultsName, Data: e.TestReport})
	}
	pkgs := make([]evidence.Package, 0, len(in.Expected.Installed))
	for _, p := range in.Expected.Installed {
		pkgs = append(pkgs, evidence.Package{Manager: p.Manager, Name: p.Name, Version: p.Version, Where: p.Where})
	}
	sbom, err := evidence.SBOM(evidence.SBOMImage{
		Name: in.Image, ManifestDigest: in.Expected.ManifestDigest, Platform: in.Expected.Platform,
		OS: e.OS, Epoch: in.Expected.SourceDateEpoch, Note: in.Expected.InventoryNote,
	}, pkgs)
	if err != nil {
		return nil, err
	}
	return append(out, File{Name: SBOMName, Data: sbom}), nil
}

// ErrTestReport is wrapped when the test report given to a bundle cannot
// be its evidence: not macabox's CTRF, or of another image.
var ErrTestReport = errors.New("the test report is not of this bundle's image")

// testedImage checks that a test report is of the bundle's image: a report
// of another build says nothing about this one. Docker names an image by
// its config digest (the classic store) or its manifest digest (the
// containerd store).
func testedImage(e *Expected, report []byte) (*smoke.CTRFResults, error) {
	res, err := smoke.ReadCTRF(report)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTestReport, err)
	}
	if res.Target != e.Target {
		return nil, fmt.Errorf("%w: it is a report of %s, the bundle is of %s", ErrTestReport, res.Target, e.Target)
	}
	if res.ImageID != e.ConfigDigest && res.ImageID != e.ManifestDigest {
		return nil, fmt.Errorf("%w: it tested image %s, but the bundle's image is %s (config %s): test the image this export builds (macabox build %s --load, then macabox test %s --report ctrf=FILE)",
			ErrTestReport, orUnknown(res.ImageID), e.ManifestDigest, e.ConfigDigest, e.Target, e.Target)
	}
	return res, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// withStatement adds the in-toto statement to a bundle whose SHA256SUMS is
// made.
func withStatement(all Files, in *contents) (Files, error) {
	var sums, sbom []byte
	for _, f := range all {
		switch f.Name {
		case SumsName:
			sums = f.Data
		case SBOMName:
			sbom = f.Data
		}
	}
	pred, err := predicate(in, sbom)
	if err != nil {
		return nil, err
	}
	data, err := evidence.Statement(evidence.StatementInput{
		Image: in.Image, ManifestDigest: in.Expected.ManifestDigest, Sums: sums, Predicate: pred,
	})
	if err != nil {
		return nil, err
	}
	return Files(append(slices.Clone(all), File{Name: evidence.StatementName, Data: data})).sorted()
}

// predicate is what the statement asserts: the build's inputs and lock,
// the test and bench results, the references and the SBOM.
func predicate(in *contents, sbom []byte) (evidence.Predicate, error) {
	e, ev := in.Expected, in.Evidence
	p := evidence.Predicate{
		Target: e.Target, Simulated: e.Simulated, RecipeInputs: e.InputsDigest, SourceDateEpoch: e.SourceDateEpoch,
		BuildKit: e.BuildKit.Release(), SBOM: evidence.FileRecord{File: SBOMName, SHA256: evidence.SHA256(sbom)},
		Bench: []evidence.BenchFigure{}, References: []evidence.ReferenceRecord{},
	}
	if l := e.Lock; l != nil {
		p.Lock = &evidence.LockRecord{FileRecord: evidence.FileRecord{File: l.File, SHA256: l.SHA256}, Inputs: l.Inputs}
	}
	if ev.TestReport != nil {
		res, err := testedImage(e, ev.TestReport)
		if err != nil {
			return p, err
		}
		p.Tests = &evidence.TestsRecord{
			FileRecord: evidence.FileRecord{File: ResultsName, SHA256: evidence.SHA256(ev.TestReport)},
			ImageID:    res.ImageID, Platform: res.Platform.String(), OK: res.OK, Summary: map[string]int{},
		}
		for _, t := range res.Tests {
			p.Tests.Results = append(p.Tests.Results, evidence.TestOutcome{Name: t.Name, Status: string(t.Status)})
			p.Tests.Summary[string(t.Status)]++
			for _, m := range t.Metrics {
				p.Bench = append(p.Bench, evidence.BenchFigure{
					Test: t.Name, Metric: m.Name, Unit: m.Unit, Median: m.Median, P95: m.P95, ReferenceMedian: m.ReferenceMedian, Ratio: m.Ratio,
				})
			}
		}
	}
	names := make([]string, 0, len(ev.References))
	for name := range ev.References {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		data := ev.References[name]
		ref, err := evidence.ParseReference(data)
		if err != nil {
			return p, fmt.Errorf("reference %s: %w", name, err)
		}
		pv := ref.Provenance
		p.References = append(p.References, evidence.ReferenceRecord{
			FileRecord: evidence.FileRecord{File: ReferencesDir + "/" + name, SHA256: evidence.SHA256(data)},
			Test:       ref.Test, Image: pv.Image, ImageID: pv.ImageID, Device: pv.Device.Profile, Recorded: pv.Recorded.Format("2006-01-02T15:04:05Z"),
		})
	}
	return p, nil
}

// statementProblems checks the statement of a bundle against the bundle:
// it must name the image expected.json records, this SHA256SUMS (sumsSHA,
// hex) and the recipe inputs. kept holds the files reading kept. A bundle
// without a statement has nothing to check here.
func statementProblems(kept map[string][]byte, sumsSHA string) ([]Problem, *evidence.Attested) {
	data, ok := kept[evidence.StatementName]
	if !ok {
		return nil, nil
	}
	mismatch := func(format string, args ...any) Problem {
		return Problem{Kind: ProblemMismatch, Path: evidence.StatementName, Detail: clip(fmt.Sprintf(format, args...))}
	}
	a, err := evidence.ParseStatement(data)
	if err != nil {
		return []Problem{mismatch("%v", err)}, nil
	}
	var out []Problem
	if sumsSHA != a.SumsSHA256 {
		out = append(out, mismatch("names SHA256SUMS sha256 %s, the bundle's is %s", short(a.SumsSHA256), short(sumsSHA)))
	}
	if exp, err := parseExpected(kept[ExpectedName]); err == nil {
		if exp.ManifestDigest != a.ImageDigest {
			out = append(out, mismatch("names image %s, %s records %s", a.ImageDigest, ExpectedName, exp.ManifestDigest))
		}
		if exp.InputsDigest != a.Predicate.RecipeInputs {
			out = append(out, mismatch("names recipe inputs %s, %s records %s", a.Predicate.RecipeInputs, ExpectedName, exp.InputsDigest))
		}
	}
	return out, a
}

// referenceFileName is the bundle name of a test's reference.
func referenceFileName(test string) string {
	return ReferencesDir + "/" + evidence.FileName(test)
}

// Evidence reads a verified bundle's reference results, by test name, and
// the contributor's test report (nil when the bundle has none).
func (b *Opened) Evidence(tests []smoke.Test) (map[string]*evidence.Reference, *smoke.CTRFResults, error) {
	refs := map[string]*evidence.Reference{}
	for _, t := range tests {
		name := referenceFileName(t.Name)
		if _, ok := b.Verified.files[name]; !ok {
			continue
		}
		data, err := b.read(name, maxEvidenceBytes)
		if err != nil {
			return nil, nil, err
		}
		r, err := evidence.ParseReference(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", referenceFileName(t.Name), err)
		}
		refs[t.Name] = r
	}
	var results *smoke.CTRFResults
	if _, ok := b.Verified.files[ResultsName]; ok {
		data, err := b.read(ResultsName, maxEvidenceBytes)
		if err != nil {
			return nil, nil, err
		}
		r, err := smoke.ReadCTRF(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", ResultsName, err)
		}
		results = r
	}
	return refs, results, nil
}
