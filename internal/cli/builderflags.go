package cli

import (
	"context"
	"os"

	"github.com/spf13/pflag"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// builderFlags choose and reach a BuildKit builder; build, doctor and
// reproduce share them.
type builderFlags struct {
	addr string
	tls  builder.TLSOptions
}

func (b *builderFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&b.addr, "builder", "", "BuildKit address: unix://PATH, tcp://HOST:PORT, docker-container://NAME or docker (env BUILDKIT_HOST)")
	f.StringVar(&b.tls.CA, "tls-ca", "", "CA certificate of a tcp:// builder")
	f.StringVar(&b.tls.Cert, "tls-cert", "", "client certificate for a tcp:// builder")
	f.StringVar(&b.tls.Key, "tls-key", "", "client key for a tcp:// builder")
	f.StringVar(&b.tls.ServerName, "tls-server-name", "", "name to verify the tcp:// builder's certificate against")
}

// connect reaches the builder; failing to is exit 2 with the fix in the message.
func (b *builderFlags) connect(ctx context.Context) (*builder.Builder, error) {
	addr, err := builder.ResolveAddr(b.addr, os.Getenv)
	if err != nil {
		return nil, cannot("%w", err)
	}
	bk, err := builder.Connect(ctx, addr, builder.ConnectOptions{TLS: b.tls})
	if err != nil {
		return nil, cannot("%w", err)
	}
	return bk, nil
}
