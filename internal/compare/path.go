package compare

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a JSON path in the small dialect recipes use: an optional leading
// "$", then keys and indices, as in "$.results[0].loss", "scores.f1" or
// `$["key.with.dots"]`. It is a subset of JSONPath (RFC 9535) without
// wildcards or filters: a comparison names one value.
type Path struct {
	text  string
	steps []step
}

// step is one key (when index < 0) or one array index.
type step struct {
	key   string
	index int
}

// ParsePath reads a path. The empty path and "$" name the whole document.
func ParsePath(s string) (Path, error) {
	p := Path{text: s}
	rest := strings.TrimPrefix(s, "$")
	first := len(rest) == len(s) // no "$": a bare key may start the path
	for rest != "" {
		switch {
		case rest[0] == '.':
			key, n := bareKey(rest[1:])
			if key == "" {
				return Path{}, fmt.Errorf("JSON path %q: a key must follow %q", s, ".")
			}
			p.steps = append(p.steps, step{key: key, index: -1})
			rest = rest[1+n:]
		case rest[0] == '[':
			st, n, err := bracket(rest)
			if err != nil {
				return Path{}, fmt.Errorf("JSON path %q: %w", s, err)
			}
			p.steps = append(p.steps, st)
			rest = rest[n:]
		case first:
			key, n := bareKey(rest)
			if key == "" {
				return Path{}, fmt.Errorf("JSON path %q: unexpected %q", s, rest[:1])
			}
			p.steps = append(p.steps, step{key: key, index: -1})
			rest = rest[n:]
		default:
			return Path{}, fmt.Errorf("JSON path %q: unexpected %q (write .key, [index] or [\"key\"])", s, rest[:1])
		}
		first = false
	}
	return p, nil
}

// bareKey reads a key up to the next "." or "[".
func bareKey(s string) (string, int) {
	n := strings.IndexAny(s, ".[")
	if n < 0 {
		n = len(s)
	}
	return s[:n], n
}

// bracket reads [N] or ["key"] at the start of s.
func bracket(s string) (step, int, error) {
	end := strings.IndexByte(s, ']')
	if strings.HasPrefix(s, `["`) {
		// A quoted key may hold "]": read it as a JSON string.
		dec := json.NewDecoder(strings.NewReader(s[1:]))
		var key string
		if err := dec.Decode(&key); err != nil {
			return step{}, 0, fmt.Errorf("bad quoted key: %v", err)
		}
		n := 1 + int(dec.InputOffset())
		if n >= len(s) || s[n] != ']' {
			return step{}, 0, fmt.Errorf("a quoted key must be followed by \"]\"")
		}
		return step{key: key, index: -1}, n + 1, nil
	}
	if end < 0 {
		return step{}, 0, fmt.Errorf("unclosed \"[\"")
	}
	i, err := strconv.Atoi(s[1:end])
	if err != nil || i < 0 {
		return step{}, 0, fmt.Errorf("%q is not an array index (0, 1, ...) or a quoted key", s[1:end])
	}
	return step{index: i}, end + 1, nil
}

// String is the path as written.
func (p Path) String() string {
	if p.text == "" {
		return "$"
	}
	return p.text
}

// Lookup finds the path's value in a document decoded by encoding/json with
// UseNumber. The error says where the path stopped matching.
func (p Path) Lookup(doc any) (any, error) {
	v := doc
	at := "$"
	for _, st := range p.steps {
		if st.index < 0 {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s is %s, not an object with key %q", at, kindOf(v), st.key)
			}
			next, ok := obj[st.key]
			if !ok {
				return nil, fmt.Errorf("%s has no key %q", at, st.key)
			}
			v, at = next, at+"."+st.key
			continue
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s is %s, not an array", at, kindOf(v))
		}
		if st.index >= len(arr) {
			return nil, fmt.Errorf("%s has %d element(s), no index %d", at, len(arr), st.index)
		}
		v, at = arr[st.index], fmt.Sprintf("%s[%d]", at, st.index)
	}
	return v, nil
}

// ParseJSON decodes a document with numbers kept as written, so that a
// comparison sees 0.1 and not its nearest float64's shortest form.
func ParseJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
