package compare

import (
	"math"
	"slices"
)

// Stats summarises the samples of one benchmark metric.
type Stats struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	// P95 is the 95th percentile by the nearest-rank method: the smallest
	// sample at least 95% of the samples are not above. With fewer than
	// 20 samples it is the largest.
	P95 float64 `json:"p95"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Spread is (Max − Min) ÷ Median: how far apart the repetitions were,
	// relative to the typical one. 0 when the median is 0.
	Spread float64 `json:"spread"`
}

// Summarize computes the statistics of samples; the zero Stats for none.
func Summarize(samples []float64) Stats {
	if len(samples) == 0 {
		return Stats{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	n := len(s)
	st := Stats{N: n, Min: s[0], Max: s[n-1]}
	if n%2 == 1 {
		st.Median = s[n/2]
	} else {
		st.Median = (s[n/2-1] + s[n/2]) / 2
	}
	rank := int(math.Ceil(0.95 * float64(n)))
	st.P95 = s[max(rank, 1)-1]
	if st.Median != 0 {
		st.Spread = (st.Max - st.Min) / math.Abs(st.Median)
	}
	return st
}

// MedianRatio is got's median over the reference's: above 1 is more than the
// reference (faster for a throughput, slower for a latency). ok is false
// when the reference median is 0.
func MedianRatio(got, reference Stats) (float64, bool) {
	if reference.Median == 0 || reference.N == 0 || got.N == 0 {
		return 0, false
	}
	return got.Median / reference.Median, true
}
