// Package pipeline is macabox's one orchestrator: it joins the stages of
// DESIGN §2 for each verb. Build, test, export, reproduce (and plan, run,
// doctor) each call one function here with one options struct; the command
// line only turns flags into those options, and the stage packages
// (recipe, plan, builder, smoke and its runners, bundle, device, docker)
// each do one thing and know nothing of each other's callers.
//
// A feature that spans stages is wired here, once: the build request a
// bundle's rebuild makes is the very request a build makes, the rule that
// an untested image is never pushed lives in Build, and the Docker engine
// is resolved once per run and handed to both the builder (to load images)
// and the smoke runner.
//
// Errors after which the work could not be done at all (a bad flag, a
// daemon that does not answer) wrap ErrCannot; every other error means the
// work ran and found a problem.
package pipeline
