package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, which CI installs.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium with a fresh profile and returns
// a context for driving one tab. Without Chromium the test is skipped,
// unless XEROCHAT_REQUIRE_BROWSER=1 (CI) makes that a failure. Confirm
// dialogs are accepted, as a person who clicks OK does.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("XEROCHAT_REQUIRE_BROWSER") == "1" {
			t.Fatalf("XEROCHAT_REQUIRE_BROWSER=1 but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("no browser at %s (set XEROCHAT_REQUIRE_BROWSER=1 to fail instead)", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return ctx
}

// xq quotes s as an XPath string literal.
func xq(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return "concat('" + strings.ReplaceAll(s, "'", "', \"'\", '") + "')"
}

// byLabel is the form control whose visible <label> reads text.
func byLabel(text string) string {
	return fmt.Sprintf(`//*[@id=//label[normalize-space(.)=%s]/@for]`, xq(text))
}

// button is the button that says text.
func button(text string) string {
	return fmt.Sprintf(`//button[normalize-space(.)=%s]`, xq(text))
}

// link is the link that says text.
func link(text string) string { return fmt.Sprintf(`//a[normalize-space(.)=%s]`, xq(text)) }

// heading is a top-level heading that says text.
func heading(text string) string { return fmt.Sprintf(`//h1[normalize-space(.)=%s]`, xq(text)) }

// withText is any visible element whose own text contains text.
func withText(text string) string {
	return fmt.Sprintf(`//*[contains(normalize-space(text()), %s)]`, xq(text))
}

// person wraps the tab in steps that read like what a person does.
type person struct {
	t   *testing.T
	ctx context.Context
}

func (p *person) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	err := chromedp.Do(p.ctx, actions...)
	// A node found on a page that is being replaced (a click's navigation
	// still loading) is gone by the time the action uses it; the steps are
	// looked up again on the page that stays, as a person would.
	for try := 0; try < 3 && staleNode(err); try++ {
		time.Sleep(100 * time.Millisecond)
		err = chromedp.Do(p.ctx, actions...)
	}
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// staleNode reports whether err is Chrome saying a node found a moment ago
// is no longer in the page.
func staleNode(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "No node with given id found") ||
		strings.Contains(err.Error(), "Could not find node with given id"))
}

// get runs one action that reads something.
func get[T any](p *person, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, a)
	for try := 0; try < 3 && staleNode(err); try++ { // see run
		time.Sleep(100 * time.Millisecond)
		v, err = chromedp.Run(p.ctx, a)
	}
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (p *person) open(url string) { p.t.Helper(); p.run("open "+url, chromedp.Navigate(url)) }

func (p *person) fill(label, value string) {
	p.t.Helper()
	p.run("fill in "+label, chromedp.SetValue(byLabel(label), value))
}

func (p *person) click(xpath string) {
	p.t.Helper()
	p.run("click "+xpath, chromedp.Click(xpath, chromedp.NodeVisible))
}

func (p *person) sees(xpath string) {
	p.t.Helper()
	p.run("see "+xpath, chromedp.WaitVisible(xpath))
}

func (p *person) value(label string) string {
	p.t.Helper()
	return get(p, "read "+label, chromedp.Value(byLabel(label)))
}

func (p *person) url() string {
	p.t.Helper()
	return get(p, "read the address", chromedp.Location())
}

// signIn fills the login form and sends it.
func (p *person) signIn(email, password string) {
	p.t.Helper()
	p.fill("E-mail", email)
	p.fill("Password", password)
	p.click(button("Sign in"))
}

// menu opens the profile menu at the top right and picks an item.
func (p *person) menu(item string) {
	p.t.Helper()
	p.click(`//summary[@aria-label='Profile menu']`)
	p.click(fmt.Sprintf(`//*[@role='menuitem'][normalize-space(.)=%s]`, xq(item)))
}

// html is the page's current markup.
func (p *person) html() string {
	p.t.Helper()
	return get(p, "read the page", chromedp.OuterHTML(chromedp.CSS("html")))
}
