package builder

import (
	"runtime/debug"
	"sync"
)

// clientModule is BuildKit's Go module, whose version is the BuildKit
// release this program speaks and the project pins its buildkitd to.
const clientModule = "github.com/moby/buildkit"

// ClientVersion is the version of the BuildKit client library compiled into
// this program, e.g. "v0.34.2", or "" when the binary carries no module
// information. Bundles record it next to the builder's own version, because a
// buildkitd built from source without release ldflags reports
// "v0.0.0+unknown".
var ClientVersion = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == clientModule {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
})
