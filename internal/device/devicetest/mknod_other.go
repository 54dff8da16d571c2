//go:build !linux

package devicetest

import "testing"

func mknod(t testing.TB, _ string, _, _ uint32) {
	t.Helper()
	t.Skip("devicetest: fake MACA hosts need linux")
}
