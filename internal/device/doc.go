// Package device finds MetaX MACA devices on a host and turns a device
// profile into what a container needs to use them: device mappings, group
// ids, environment, shm size, ulimits and security options (a Spec), the
// equivalent docker run flags, and a CDI spec for runtimes that inject
// devices themselves.
//
// Discovery reads a dev root and a sys root (normally /dev and /sys) so tests
// and dry runs can point it at fake trees; see package devicetest.
//
// The package imports no container client: Spec holds plain fields named
// after Docker's so the one package that talks to Docker converts them.
package device
