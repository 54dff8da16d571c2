package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

// TestProgressLocalSteps shows the caller's own steps and BuildKit's in one
// rawjson stream, in order, with a failing local step marked as failed.
func TestProgressLocalSteps(t *testing.T) {
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	caps := b.Capabilities()
	if !caps.VersionKnown && len(caps.Warnings) == 0 {
		t.Errorf("unknown version %q without a warning", caps.BuildKit)
	}
	t.Logf("capabilities: %+v", caps)

	var out bytes.Buffer
	p, err := NewProgress(ctx, &out, "rawjson")
	if err != nil {
		t.Fatal(err)
	}
	plan := p.Start("plan demo-stack")
	plan.Log([]byte("3 layers\n"))
	plan.Done(nil)
	_, err = b.Build(ctx, Request{Dockerfile: []byte("FROM scratch\nENV A=1\n"), Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	p.Start("smoke").Done(errors.New("no device"))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	var order []string
	failed := map[string]string{}
	dec := json.NewDecoder(&out)
	for {
		var ss bkclient.SolveStatus
		if err := dec.Decode(&ss); err != nil {
			break
		}
		for _, v := range ss.Vertexes {
			if len(order) == 0 || order[len(order)-1] != v.Name {
				order = append(order, v.Name)
			}
			if v.Error != "" {
				failed[v.Name] = v.Error
			}
		}
	}
	joined := strings.Join(order, " | ")
	iPlan := strings.Index(joined, "plan demo-stack")
	iCtx := strings.Index(joined, "prepare build context")
	iBK := strings.Index(joined, "[internal] load build definition")
	iSmoke := strings.Index(joined, "smoke")
	if iPlan < 0 || iCtx < iPlan || iBK < iCtx || iSmoke < iBK {
		t.Errorf("steps out of order or missing: %s", joined)
	}
	if failed["smoke"] != "no device" {
		t.Errorf("failed local step not marked: %v", failed)
	}
}

func TestProgressModes(t *testing.T) {
	if _, err := NewProgress(context.Background(), &bytes.Buffer{}, "fancy"); errorContains(err, "fancy", "plain") != nil {
		t.Errorf("bad mode: %v", err)
	}
	// tty on a buffer cannot work; auto falls back to plain.
	if _, err := NewProgress(context.Background(), &bytes.Buffer{}, "tty"); err == nil {
		t.Error("tty mode accepted a non-terminal")
	}
	var out bytes.Buffer
	p, err := NewProgress(context.Background(), &out, "auto")
	if err != nil {
		t.Fatal(err)
	}
	p.Start("load into docker").Done(nil)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "load into docker") {
		t.Errorf("auto on a non-terminal should print plain text, got %q", out.String())
	}
	var nilProgress *Progress
	nilProgress.Start("x").Done(nil)
	if err := nilProgress.Close(); err != nil {
		t.Error(err)
	}
}

// TestCancel stops a build in the middle of a RUN: Build returns promptly.
func TestCancel(t *testing.T) {
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)
	ctx, cancel := context.WithCancel(testContext(t))
	var out bytes.Buffer
	p, err := NewProgress(ctx, &out, "plain")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err = b.Build(ctx, Request{
		Dockerfile: []byte("FROM busybox\nRUN sleep 120\n"),
		Contexts:   map[string]NamedContext{"busybox": base},
		Progress:   p,
	})
	if err == nil {
		t.Fatal("cancelled build succeeded")
	}
	if cerr := p.Close(); cerr != nil {
		t.Error(cerr)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("cancel took %v", d)
	}
	t.Logf("cancelled after %v: %v", time.Since(start).Round(time.Millisecond), err)
}
