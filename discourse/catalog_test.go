package discourse_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
	"github.com/discourse-chatbot/discourse-chatbot/discourse/discoursetest"
)

// When the forum does not answer, a catalogue that is merely old still answers at once, and
// refreshes behind the lookup: the lookups return while the forum still holds the refresh.
func TestCatalogAnswersFromItsCacheWhenTheForumIsDown(t *testing.T) {
	f, c := newForum(t)
	f.AddCategory(discourse.Category{Name: "General", Slug: "general"})
	f.AddTag("bug")
	f.AddGroup("support")
	k := discourse.NewCatalog(c)
	clk := newClock()
	k.SetClock(clk.Now)
	ctx := t.Context()
	if _, err := k.Categories(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := k.HasTag(ctx, "bug"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := k.HasGroup(ctx, "support"); !ok || err != nil {
		t.Fatal(ok, err)
	}

	for range 3 {
		f.SlowNext(3 * time.Second) // the forum holds every refresh
	}
	clk.Advance(time.Hour)
	answered := make(chan error, 1)
	go func() {
		cats, err := k.Categories(ctx)
		if err == nil && len(cats) != 1 {
			err = fmt.Errorf("categories %v", cats)
		}
		if ok, herr := k.HasTag(ctx, "bug"); !ok || herr != nil {
			err = errors.Join(err, fmt.Errorf("HasTag = %v, %v", ok, herr))
		}
		if ok, herr := k.HasGroup(ctx, "support"); !ok || herr != nil {
			err = errors.Join(err, fmt.Errorf("HasGroup = %v, %v", ok, herr))
		}
		answered <- err
	}()
	// Lookups that waited for the forum would take 3 s each; this bound only catches that, it
	// measures nothing.
	select {
	case err := <-answered:
		if err != nil {
			t.Errorf("lookups with the forum holding its answers: %v; want the cached answers", err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("the lookups waited for the forum instead of answering from the cached catalogue")
	}
}

// What only the forum can answer waits a short while, says the forum failed, and the lookups
// right after fail at once instead of waiting again.
func TestCatalogWithoutCacheFailsFastWhenTheForumIsDown(t *testing.T) {
	f, c := newForum(t)
	k := discourse.NewCatalog(c)
	f.FailNext(502, 1000)
	if _, err := k.Categories(t.Context()); err == nil {
		t.Fatal("Categories with the forum down and nothing cached succeeded")
	}
	asked := f.Requests("/site.json")
	for range 3 {
		if _, err := k.Categories(t.Context()); err == nil {
			t.Fatal("Categories succeeded")
		}
	}
	if got := f.Requests("/site.json"); got != asked {
		t.Errorf("lookups right after a failure asked the forum %d more times, want none", got-asked)
	}
}

// CurrentTree, the send-time check, costs no request while no category change was announced;
// after CategoriesChanged it reads the categories once, and a failed read then is an error, not
// the old list (a category that became restricted must not be answered from before).
func TestCatalogCurrentTreeReadsOnlyAfterAnAnnouncedChange(t *testing.T) {
	f, c := newForum(t)
	id := f.AddCategory(discourse.Category{Name: "Support", Slug: "support"})
	k := discourse.NewCatalog(c)
	ctx := t.Context()
	restricted := func() bool {
		t.Helper()
		tree, err := k.CurrentTree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, known := tree.Restricted(id)
		if !known {
			t.Fatalf("category %d unknown", id)
		}
		return r
	}
	if restricted() {
		t.Fatal("Support restricted at first")
	}
	asked := f.Requests("/site.json")
	f.SetCategoryReadRestricted(id, true)
	for range 3 {
		if restricted() {
			t.Fatal("the change was read without being announced")
		}
	}
	if got := f.Requests("/site.json"); got != asked {
		t.Errorf("CurrentTree without an announced change asked the forum %d times, want none", got-asked)
	}
	k.CategoriesChanged()
	if !restricted() || !restricted() {
		t.Error("after CategoriesChanged, Support is still public")
	}
	if got := f.Requests("/site.json"); got != asked+1 {
		t.Errorf("an announced change cost %d requests, want 1", got-asked)
	}
	k.CategoriesChanged()
	f.FailNext(502, 1000)
	if _, err := k.CurrentTree(ctx); err == nil {
		t.Error("CurrentTree answered from the old list after an announced change it could not read")
	}
}

// A lookup that finds the categories changed (the MessageBus said so) reads them again; when the
// caller is stopping meanwhile, it answers from the list held, logs nothing at warn level (a
// normal stop is quiet) and does not count as the forum failing: the next caller reads them
// (it used to get the stopped caller's "context canceled" for a while). A real failure of the
// forum is still logged.
func TestCatalogRefreshAtAStopIsQuiet(t *testing.T) {
	f := discoursetest.NewServer(testKey)
	t.Cleanup(f.Close)
	logs := &logRecorder{}
	c := newClient(t, f, func(cfg *discourse.ClientConfig) { cfg.Logger = slog.New(logs) })
	id := f.AddCategory(discourse.Category{Name: "General", Slug: "general"})
	k := discourse.NewCatalog(c)
	if _, ok, err := k.Category(t.Context(), id); !ok || err != nil {
		t.Fatalf("first lookup: %v, %v", ok, err)
	}
	const failed = "refresh forum categories failed; keeping the old list"

	k.CategoriesChanged()
	stopped, cancel := context.WithCancel(t.Context())
	cancel()
	if cat, ok, err := k.Category(stopped, id); !ok || err != nil || cat.Slug != "general" {
		t.Fatalf("lookup while stopping: %v, %v, %v; want the list held", cat, ok, err)
	}
	if n := logs.count(slog.LevelWarn, failed); n != 0 {
		t.Errorf("a lookup while stopping logged %q %d times at warn", failed, n)
	}
	if err := k.CategoriesSince(t.Context(), time.Now()); err != nil {
		t.Errorf("CategoriesSince after a stopped lookup: %v; want the categories read", err)
	}

	f.SetOutage(true)
	k.CategoriesChanged()
	if _, ok, err := k.Category(t.Context(), id); !ok || err != nil {
		t.Fatalf("lookup in an outage: %v, %v; want the list held", ok, err)
	}
	if n := logs.count(slog.LevelWarn, failed); n != 1 {
		t.Errorf("an outage logged %q %d times; want once (else the test proves nothing)", failed, n)
	}
}
