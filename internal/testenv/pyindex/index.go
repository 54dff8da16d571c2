package pyindex

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Index is a simple-API package index on 127.0.0.1, stopped when the test
// that made it ends. Its content is fixed at New.
type Index struct {
	srv *httptest.Server
	// projects maps a normalized project name to its files, by file name.
	projects map[string][]dist
	files    map[string]dist

	mu      sync.Mutex
	fetched []string
	// user and password, when set, are the basic credentials every request
	// must carry; refused counts the requests that did not.
	user, password string
	refused        int
}

type dist struct {
	filename string
	data     []byte
	sha256   string
}

// New builds the wheels and serves them. It binds 127.0.0.1 explicitly
// (httptest may fall back to ::1): buildkitd's RUN steps reach the host's
// loopback through host networking, and pip treats 127.0.0.0/8 as secure.
func New(t testing.TB, wheels ...Wheel) *Index {
	t.Helper()
	ix := &Index{projects: map[string][]dist{}, files: map[string]dist{}}
	for _, w := range wheels {
		data, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		d := dist{filename: w.Filename(), data: data, sha256: hex.EncodeToString(sum[:])}
		if _, dup := ix.files[d.filename]; dup {
			t.Fatalf("pyindex: two wheels named %s", d.filename)
		}
		ix.files[d.filename] = d
		name := Normalize(w.Name)
		ix.projects[name] = append(ix.projects[name], d)
	}
	for _, ds := range ix.projects {
		sort.Slice(ds, func(i, j int) bool { return ds[i].filename < ds[j].filename })
	}

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pyindex: listening on 127.0.0.1: %v", err)
	}
	ix.srv = httptest.NewUnstartedServer(http.HandlerFunc(ix.serve))
	ix.srv.Listener.Close()
	ix.srv.Listener = ln
	ix.srv.Start()
	t.Cleanup(ix.srv.Close)
	return ix
}

// URL is the index's root, for pip's --index-url: http://127.0.0.1:PORT/simple/.
func (ix *Index) URL() string { return ix.srv.URL + "/simple/" }

// Host is host:port, for pip's --trusted-host.
func (ix *Index) Host() string { return strings.TrimPrefix(ix.srv.URL, "http://") }

// Fetched lists the wheel files served so far, in order, so a test can tell
// that pip really downloaded from the index instead of using a cache.
func (ix *Index) Fetched() []string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return append([]string(nil), ix.fetched...)
}

// RequireAuth makes the index answer only requests with these basic
// credentials, as a private index does; others get 401 with a challenge.
func (ix *Index) RequireAuth(user, password string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.user, ix.password = user, password
}

// Refused is how many requests were turned away for lack of credentials.
func (ix *Index) Refused() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.refused
}

// authorized reports whether r may be answered, counting it if not.
func (ix *Index) authorized(r *http.Request) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.password == "" {
		return true
	}
	user, password, ok := r.BasicAuth()
	if ok && user == ix.user && password == ix.password {
		return true
	}
	ix.refused++
	return false
}

// Count is how many times filename was served.
func (ix *Index) Count(filename string) int {
	n := 0
	for _, f := range ix.Fetched() {
		if f == filename {
			n++
		}
	}
	return n
}

func (ix *Index) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !ix.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="pyindex"`)
		http.Error(w, "credentials required", http.StatusUnauthorized)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/simple/":
		ix.root(w)
	case strings.HasPrefix(p, "/simple/"):
		ix.project(w, r, strings.TrimPrefix(p, "/simple/"))
	case strings.HasPrefix(p, "/files/"):
		ix.file(w, r, strings.TrimPrefix(p, "/files/"))
	default:
		http.NotFound(w, r)
	}
}

func (ix *Index) root(w http.ResponseWriter) {
	names := make([]string, 0, len(ix.projects))
	for name := range ix.projects {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	page(&b, "Simple index")
	for _, name := range names {
		fmt.Fprintf(&b, "<a href=\"%s/\">%s</a><br>\n", url.PathEscape(name), html.EscapeString(name))
	}
	b.WriteString("</body></html>\n")
	writeHTML(w, b.String())
}

// project answers /simple/<name>/. Other spellings of a name redirect to the
// normalized one, as PEP 503 allows, so a client's own normalization is
// tested rather than trusted.
func (ix *Index) project(w http.ResponseWriter, r *http.Request, rest string) {
	name, slash := strings.CutSuffix(rest, "/")
	if name == "" || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	if norm := Normalize(name); norm != name || !slash {
		http.Redirect(w, r, "/simple/"+url.PathEscape(norm)+"/", http.StatusMovedPermanently)
		return
	}
	ds, ok := ix.projects[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	var b strings.Builder
	page(&b, "Links for "+name)
	for _, d := range ds {
		// The fragment lets pip check what it downloaded (PEP 503).
		fmt.Fprintf(&b, "<a href=\"../../files/%s#sha256=%s\">%s</a><br>\n", url.PathEscape(d.filename), d.sha256, html.EscapeString(d.filename))
	}
	b.WriteString("</body></html>\n")
	writeHTML(w, b.String())
}

func (ix *Index) file(w http.ResponseWriter, r *http.Request, name string) {
	d, ok := ix.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodGet {
		ix.mu.Lock()
		ix.fetched = append(ix.fetched, name)
		ix.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(d.data)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(d.data)
	}
}

func page(b *strings.Builder, title string) {
	fmt.Fprintf(b, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>%s</title></head><body>\n", html.EscapeString(title))
}

func writeHTML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(body))
}
