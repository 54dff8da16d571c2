package runner

import (
	"fmt"
	"sync"
)

// captureLimit bounds what is kept of one output stream. Expectations are
// matched against what is kept, so it is generous; a test that prints more
// (a pip install log, say) keeps its beginning and its end.
const captureLimit = 1 << 20

// capture keeps the first and the last limit/2 bytes written to it.
type capture struct {
	mu      sync.Mutex
	limit   int
	head    []byte
	tail    []byte // ring buffer once full
	start   int    // index of the oldest byte in tail when full
	dropped int64
}

func newCapture(limit int) *capture {
	return &capture{limit: limit}
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	half := c.limit / 2
	if room := half - len(c.head); room > 0 {
		k := min(room, len(p))
		c.head = append(c.head, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 {
		if len(c.tail) < half {
			k := min(half-len(c.tail), len(p))
			c.tail = append(c.tail, p[:k]...)
			p = p[k:]
			continue
		}
		// Full: overwrite the oldest bytes.
		k := min(half-c.start, len(p))
		copy(c.tail[c.start:c.start+k], p[:k])
		c.dropped += int64(k)
		c.start = (c.start + k) % half
		p = p[k:]
	}
	return n, nil
}

// String is what was kept, with a note where the middle was left out.
func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	tail := append(append([]byte(nil), c.tail[c.start:]...), c.tail[:c.start]...)
	if c.dropped == 0 {
		return string(c.head) + string(tail)
	}
	return fmt.Sprintf("%s\n[… %d bytes not kept …]\n%s", c.head, c.dropped, tail)
}
