package recipe

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// errorLine is the shape of every reported problem.
var errorLine = regexp.MustCompile(`^[^\n]*:[0-9]+:[0-9]+: (field "[^\n]*": )?[^\n]+$`)

// loadHostile loads data and checks that it is refused quickly with
// well-formed errors, one of which contains want. The time limit is generous:
// it guards against hangs, not for speed.
func loadHostile(t *testing.T, data []byte, want string) {
	t.Helper()
	start := time.Now()
	_, err := Load("hostile.yaml", data)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	if len(errs) > maxErrorsPerFile+1 {
		t.Errorf("%d errors, more than the cap", len(errs))
	}
	for _, line := range strings.Split(errs.Error(), "\n") {
		if !errorLine.MatchString(line) {
			t.Errorf("malformed error line %q", line)
		}
	}
	if !strings.Contains(errs.Error(), want) {
		t.Errorf("errors do not mention %q:\n%v", want, errs)
	}
}

func header(kind string) string {
	return "apiVersion: macabox/v1\nkind: " + kind + "\nname: x\nfrom: scratch\n"
}

func TestLoadRefusesOversizedFiles(t *testing.T) {
	data := []byte(header("Image") + "description: " + strings.Repeat("a", MaxFileSize) + "\n")
	loadHostile(t, data, "limited to 1048576 bytes")
}

func TestLoadRefusesAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(header("Image"))
	b.WriteString(`a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for i := 1; i < 30; i++ {
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [" + strings.Repeat("*a"+strconv.Itoa(i-1)+",", 9) + "*a" + strconv.Itoa(i-1) + "]\n")
	}
	loadHostile(t, []byte(b.String()), "aliases (*name) are not supported")
}

func TestLoadRefusesDeepNesting(t *testing.T) {
	for _, data := range []string{
		header("Image") + "labels: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		header("Image") + "labels: " + strings.Repeat("{a: ", 5000) + strings.Repeat("}", 5000),
		header("Image") + "labels:\n" + deepBlock(200),
	} {
		loadHostile(t, []byte(data), "")
	}
}

func deepBlock(depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", i+1) + "k:\n")
	}
	return b.String()
}

func TestLoadRefusesManyDocuments(t *testing.T) {
	loadHostile(t, []byte(strings.Repeat("---\n", MaxDocuments*10)), "more than 100 documents")
	loadHostile(t, []byte(strings.Repeat("---\n"+header("Image"), MaxDocuments+1)), "more than 100 documents")
}

func TestLoadRefusesBinary(t *testing.T) {
	loadHostile(t, []byte("apiVersion: macabox/v1\n\x00\x01\x02garbage"), "hostile.yaml:2:1: NUL byte")
	loadHostile(t, []byte("name: \xc3\x28\n"), "hostile.yaml:1:7: invalid UTF-8")
	loadHostile(t, []byte("\xfe\xff\x00a\x00p"), "NUL byte")
	loadHostile(t, []byte("a: \x1b[31mred\n"), "hostile.yaml:1:4: control character U+001B")
}

func TestLoadCapsErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(header("Image"))
	for i := range 10000 {
		b.WriteString("unknown" + strconv.Itoa(i) + ": 1\n")
	}
	loadHostile(t, []byte(b.String()), "too many problems")
}

func TestLoadHugeFlowSequence(t *testing.T) {
	data := header("Image") + "steps:\n  - apt: [" + strings.Repeat("a,", 200000) + "a]\n"
	start := time.Now()
	docs, err := Load("big.yaml", []byte(data))
	if err != nil || len(docs) != 1 {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
