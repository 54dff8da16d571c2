// Package pipeline joins the stages of DESIGN §2 for one target: plan and
// render a recipe, turn the result into a BuildKit request, and turn a plan
// and a device profile into a smoke run. The CLI and bundles both go through
// here, so a bundle's rebuild is the very same request a build makes.
package pipeline
