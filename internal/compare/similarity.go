package compare

import "fmt"

// maxSimilarityCells bounds the work of one similarity ratio (the product
// of the two lengths, in characters): about a second of CPU. Longer outputs
// are compared field by field (a JSON path) or from a file that holds only
// the text that matters.
const maxSimilarityCells = 400_000_000

// Ratio is how alike two texts are: 1 − edit distance ÷ length of the
// longer, counted in characters (Unicode code points). Two empty texts are
// identical (1). The edit distance is Levenshtein's: insertions, deletions
// and substitutions of one character each count 1, so a ratio of 0.95 means
// about one character in twenty differs, as OCR's character error rate
// counts it.
func Ratio(a, b string) (float64, error) {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	if len(ra) == 0 {
		return 1, nil
	}
	if cells := float64(len(ra)) * float64(len(rb)); cells > maxSimilarityCells {
		return 0, fmt.Errorf("the texts are too long to compare by similarity (%d and %d characters); compare a JSON field or a file holding only the text that matters", len(ra), len(rb))
	}
	return 1 - float64(levenshtein(ra, rb))/float64(len(ra)), nil
}

// levenshtein is the edit distance, with two rows of the usual table; b is
// the shorter text, so the rows are short.
func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// similar judges two texts under a similarity rule.
func similar(r Rule, reference, got string) (bool, string, *float64) {
	ratio, err := Ratio(reference, got)
	if err != nil {
		return false, err.Error(), nil
	}
	if ratio >= r.Threshold {
		return true, fmt.Sprintf("similarity %.3f ≥ threshold %.3f", ratio, r.Threshold), &ratio
	}
	return false, fmt.Sprintf("similarity %.3f below threshold %.3f", ratio, r.Threshold), &ratio
}
