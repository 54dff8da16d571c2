//go:build !linux

package builder

import "os"

// changeIdentity is empty where macabox does not read the change time: size
// and mtime alone then name the file's state, as fsutil's own checks do.
func changeIdentity(os.FileInfo) string { return "" }
