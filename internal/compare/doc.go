// Package compare judges what a test produced on MACA against what the same
// test produced on a reference platform (CUDA, or a CPU), and summarises
// benchmark samples. A port is judged on both: its output must match the
// reference's within the tolerance its author chose, and its speed is shown
// as a ratio of the reference's.
//
// Everything here is pure and uses the standard library only, so the smoke
// tests' judgement (package smoke) and recipe validation (package recipe,
// through recipe.Rules) share one definition of a JSON path and of each
// comparison mode.
package compare
