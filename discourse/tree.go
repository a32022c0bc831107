package discourse

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// MaxCategoryDepth bounds every walk up the parent chain (Discourse nests at most three levels),
// so a cycle in bad data cannot loop.
const MaxCategoryDepth = 8

// Tree is the forum's category tree: the one place that walks parents. It answers a category's
// slug path ("parent/child", as users type it) and name path ("Parent/Child", as chat shows it),
// whether it is read-restricted (itself or a parent), and which categories a typed name means.
type Tree struct {
	byID  map[int64]Category
	slugs map[int64]string // lower-case slug path
}

// NewTree indexes a list of categories.
func NewTree(cats []Category) Tree {
	t := Tree{byID: make(map[int64]Category, len(cats)), slugs: make(map[int64]string, len(cats))}
	for _, c := range cats {
		t.byID[c.ID] = c
	}
	for _, c := range cats {
		t.slugs[c.ID] = strings.Join(t.walk(c, slugOf), "/")
	}
	return t
}

// slugOf is the category's slug; Discourse names a category without an ASCII slug "<id>-category".
func slugOf(c Category) string {
	if c.Slug == "" {
		return strconv.FormatInt(c.ID, 10) + "-category"
	}
	return strings.ToLower(c.Slug)
}

// walk returns part(c) for c and its parents, root first.
func (t Tree) walk(c Category, part func(Category) string) []string {
	segs := []string{part(c)}
	for i := 0; c.ParentID != 0 && i < MaxCategoryDepth; i++ {
		parent, ok := t.byID[c.ParentID]
		if !ok {
			break
		}
		segs = append(segs, part(parent))
		c = parent
	}
	slices.Reverse(segs)
	return segs
}

// Category returns a category by id.
func (t Tree) Category(id int64) (Category, bool) {
	c, ok := t.byID[id]
	return c, ok
}

// SlugPath returns a category's lower-case slug path, "parent/child".
func (t Tree) SlugPath(id int64) (string, bool) {
	p, ok := t.slugs[id]
	return p, ok
}

// NamePath returns "Parent/Child" by name, "" for an unknown id.
func (t Tree) NamePath(id int64) string {
	c, ok := t.byID[id]
	if !ok {
		return ""
	}
	return strings.Join(t.walk(c, func(c Category) string { return c.Name }), "/")
}

// Restricted reports whether the category or one of its parents is read-restricted, and whether
// the id is known at all (callers treat an unknown category as restricted rather than leak it).
func (t Tree) Restricted(id int64) (restricted, known bool) {
	if _, known = t.byID[id]; !known {
		return false, false
	}
	for i := 0; id != 0 && i < MaxCategoryDepth; i++ {
		c, ok := t.byID[id]
		if !ok {
			return false, true
		}
		if c.ReadRestricted {
			return true, true
		}
		id = c.ParentID
	}
	return false, true
}

// Find returns the categories a typed name may mean: the one whose slug path is name, else
// those whose path ends in "/"+name (a bare child slug, or "child/grandchild"), sorted.
func (t Tree) Find(name string) []Category {
	name = strings.ToLower(strings.Trim(name, "/"))
	var suffix []Category
	for id, p := range t.slugs {
		switch {
		case p == name:
			return []Category{t.byID[id]}
		case strings.HasSuffix(p, "/"+name):
			suffix = append(suffix, t.byID[id])
		}
	}
	slices.SortFunc(suffix, func(a, b Category) int { return strings.Compare(t.slugs[a.ID], t.slugs[b.ID]) })
	return suffix
}

// Usable lists the slug paths a channel may subscribe to, sorted: all of them, or with private
// false only those not read-restricted.
func (t Tree) Usable(private bool) []string {
	var out []string
	for id, p := range t.slugs {
		if restricted, _ := t.Restricted(id); private || !restricted {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// Tree returns the catalogue's category tree.
func (k *Catalog) Tree(ctx context.Context) (Tree, error) {
	cats, err := k.Categories(ctx)
	if err != nil {
		return Tree{}, err
	}
	return NewTree(cats), nil
}
