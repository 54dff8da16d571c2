package cli

import (
	"github.com/spf13/pflag"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

// builderFlags choose and reach a BuildKit builder; build, export, doctor
// and reproduce share them.
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

func (b *builderFlags) options() pipeline.BuilderOptions {
	return pipeline.BuilderOptions{Addr: b.addr, TLS: b.tls}
}
