package recipe

import "strings"

// suggest returns the candidate closest to word, when it is close enough to be
// a plausible typo: a case difference, or an edit distance of at most a third
// of the word's length (at least 1, at most 3).
func suggest(word string, candidates []string) string {
	if len(word) > 64 {
		// Long keys are not typos of short ones, and the distance is quadratic.
		return ""
	}
	limit := min(max(len(word)/3, 1), 3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if strings.EqualFold(c, word) {
			return c
		}
		if len(c) > len(word)+limit || len(word) > len(c)+limit {
			continue // too far apart in length to be within the limit
		}
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean formats the hint appended to an "unknown" message.
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return "; did you mean " + quote(s) + "?"
	}
	return ""
}

// editDistance is the optimal-string-alignment distance between a and b, by
// bytes: Levenshtein plus swaps of adjacent bytes, the commonest typo.
func editDistance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}
