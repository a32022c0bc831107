package discourse

import (
	"slices"
	"testing"
)

func TestTree(t *testing.T) {
	tree := NewTree([]Category{
		{ID: 1, Name: "Support", Slug: "support"},
		{ID: 2, Name: "Installs", Slug: "installs", ParentID: 1},
		{ID: 3, Name: "Staff", Slug: "staff", ReadRestricted: true},
		{ID: 4, Name: "Secret plans", Slug: "plans", ParentID: 3},
		{ID: 5, Name: "日本語", Slug: ""},
		{ID: 6, Name: "Loop", Slug: "loop", ParentID: 7},
		{ID: 7, Name: "Pool", Slug: "pool", ParentID: 6},
	})
	paths := []struct {
		id         int64
		slug, name string
	}{
		{1, "support", "Support"},
		{2, "support/installs", "Support/Installs"},
		{4, "staff/plans", "Staff/Secret plans"},
		{5, "5-category", "日本語"},
	}
	for _, p := range paths {
		if got, _ := tree.SlugPath(p.id); got != p.slug {
			t.Errorf("SlugPath(%d) = %q, want %q", p.id, got, p.slug)
		}
		if got := tree.NamePath(p.id); got != p.name {
			t.Errorf("NamePath(%d) = %q, want %q", p.id, got, p.name)
		}
	}
	if _, ok := tree.SlugPath(6); !ok {
		t.Error("a parent cycle lost its category")
	}
	restricted := []struct {
		id              int64
		restricted, kno bool
	}{
		{1, false, true}, {2, false, true}, {3, true, true},
		{4, true, true}, // a public child of a restricted parent is restricted
		{99, false, false},
	}
	for _, r := range restricted {
		if got, known := tree.Restricted(r.id); got != r.restricted || known != r.kno {
			t.Errorf("Restricted(%d) = %v, %v; want %v, %v", r.id, got, known, r.restricted, r.kno)
		}
	}
	if got := tree.Find("Installs"); len(got) != 1 || got[0].ID != 2 {
		t.Errorf("Find(a bare child slug) = %v", got)
	}
	if got := tree.Find("support/installs/"); len(got) != 1 || got[0].ID != 2 {
		t.Errorf("Find(a full path) = %v", got)
	}
	if got := tree.Find("nothing"); len(got) != 0 {
		t.Errorf("Find(unknown) = %v", got)
	}
	public := tree.Usable(false)
	if slices.Contains(public, "staff") || slices.Contains(public, "staff/plans") || !slices.Contains(public, "support/installs") {
		t.Errorf("Usable(public) = %v", public)
	}
	if all := tree.Usable(true); !slices.Contains(all, "staff/plans") {
		t.Errorf("Usable(private) = %v", all)
	}
}
