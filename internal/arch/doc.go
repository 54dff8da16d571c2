// Package arch holds the rules of the code's layout as tests, so that they
// hold by construction rather than by review: every outside module is
// imported by the one package that owns it (docs/architecture.md says why
// each owner), and nothing but the command's main imports the command line.
package arch
