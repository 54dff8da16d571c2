package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// CellName is the name of a matrix's cell: the matrix's name, then each
// value (the base first, then the axes in the order written), joined by
// "-". A value is lower-cased and every run of characters a name cannot
// hold becomes one "-" (2.6.0+metax3.0 gives 2.6.0-metax3.0), so the name
// depends on the values alone: adding, removing or excluding other cells
// never renames one, and it is valid as a recipe name and in an image
// reference.
func CellName(matrix string, values []string) (string, error) {
	parts := []string{matrix}
	for _, v := range values {
		p := namePart(v)
		if p == "" {
			return "", fmt.Errorf("value %s has no letter or digit to name the cell with", quote(v))
		}
		parts = append(parts, p)
	}
	name := strings.Join(parts, "-")
	if err := checkName(name); err != nil {
		return "", err
	}
	return name, nil
}

var (
	notNameRune = regexp.MustCompile(`[^a-z0-9.]+`)
	// separatorRun is what an image reference's path component cannot hold:
	// "-" next to "." ("a.-b"), or dots in a row.
	separatorRun = regexp.MustCompile(`[.-]*-[.-]*|\.{2,}`)
)

func namePart(v string) string {
	p := notNameRune.ReplaceAllString(strings.ToLower(v), "-")
	p = separatorRun.ReplaceAllStringFunc(p, func(run string) string {
		if strings.Contains(run, "-") {
			return "-"
		}
		return "."
	})
	return strings.Trim(p, "-.")
}

func values(list []Str) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Value
	}
	return out
}
