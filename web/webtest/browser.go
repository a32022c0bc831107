// Package webtest drives the web console in a real browser for tests: headless Chromium (Debian's
// chromium package) through chromedp, with screenshots saved for a person to look at.
package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium with a fresh profile, closed when the test ends.
type Browser struct {
	t   *testing.T
	ctx context.Context
	dir string
}

// chromium finds the browser: $CHROMIUM, else chromium or chromium-browser on PATH.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts Chromium, or skips the test when it is not installed (.ci/run installs it).
func New(t *testing.T) *Browser {
	t.Helper()
	path := chromium()
	if path == "" {
		t.Skip("chromium is not installed (apt-get install chromium): browser tests skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-dev-shm-usage", true), // a container's small /dev/shm must not crash it
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, so that a failure to start says so rather than a step's timeout.
	// This first call gets the browser's own context: the browser lives as long as the context
	// that started it, so no deadline here (each step has one).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return &Browser{t: t, ctx: ctx, dir: Artifacts(t)}
}

// Do runs chromedp actions in order with a deadline, failing the test (with a screenshot) on
// error.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.Shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// Submit clicks what the CSS selector sel finds (a form's button, a link) and waits for the
// next page: the old page is marked first, so that a wait cannot be satisfied by it.
func (b *Browser) Submit(what, sel string) {
	b.t.Helper()
	b.Do(what,
		void(chromedp.Evaluate[bool](`document.body.dataset.stale = "1"; true`)),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitReady(chromedp.CSS(`body:not([data-stale])`)))
}

func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// Get runs one action that returns a value, failing the test on error.
func Get[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.Shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Text returns the visible text of the first node matching the CSS selector sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// Location returns the page's URL.
func (b *Browser) Location() string {
	b.t.Helper()
	return Get(b, "read location", chromedp.Location())
}

// Shot saves a full-page screenshot as <artifacts>/<name>.png.
func (b *Browser) Shot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
	return p
}

// Phone sets a phone-sized viewport (or back to the desktop one).
func (b *Browser) Phone(on bool) {
	b.t.Helper()
	if on {
		b.Do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		return
	}
	b.Do("desktop viewport", chromedp.EmulateReset(), chromedp.EmulateViewport(1280, 900))
}

var (
	artifactsOnce sync.Once
	artifactsDir  string
	artifactsErr  error
)

// Artifacts is the folder screenshots go to: $ARTIFACTS/web-console when ARTIFACTS is set, else
// a fresh temporary folder, kept after the tests and printed so a person can look.
func Artifacts(t *testing.T) string {
	t.Helper()
	artifactsOnce.Do(func() {
		if a := os.Getenv("ARTIFACTS"); a != "" {
			artifactsDir = filepath.Join(a, "web-console")
			artifactsErr = os.MkdirAll(artifactsDir, 0o755)
			return
		}
		artifactsDir, artifactsErr = os.MkdirTemp("", "web-console-screenshots-")
	})
	if artifactsErr != nil {
		t.Fatalf("screenshot folder: %v", artifactsErr)
	}
	fmt.Fprintf(os.Stderr, "web console screenshots: %s\n", artifactsDir)
	dir := filepath.Join(artifactsDir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return dir
}
