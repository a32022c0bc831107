package commands

import (
	"slices"
	"strconv"
	"strings"

	"github.com/discourse-chatbot/discourse-chatbot/discourse"
)

// categoryIndex is the forum's categories with their slug paths ("parent/child"), as users type
// them.
type categoryIndex struct {
	byID  map[int64]discourse.Category
	paths map[int64]string // lower-case slug path
	// unknown is set when the catalogue could not be read: ids are then shown as they are,
	// not as deleted categories.
	unknown bool
}

// maxCategoryDepth bounds the parent chain (Discourse nests at most three levels), so a cycle in
// bad data cannot loop.
const maxCategoryDepth = 8

func newCategoryIndex(cats []discourse.Category) categoryIndex {
	ix := categoryIndex{byID: make(map[int64]discourse.Category, len(cats)), paths: make(map[int64]string, len(cats))}
	for _, c := range cats {
		ix.byID[c.ID] = c
	}
	for _, c := range cats {
		ix.paths[c.ID] = ix.buildPath(c)
	}
	return ix
}

// slugOf is the category's slug; Discourse names a category without an ASCII slug "<id>-category".
func slugOf(c discourse.Category) string {
	if c.Slug == "" {
		return strconv.FormatInt(c.ID, 10) + "-category"
	}
	return strings.ToLower(c.Slug)
}

func (ix categoryIndex) buildPath(c discourse.Category) string {
	segs := []string{slugOf(c)}
	for i := 0; c.ParentID != 0 && i < maxCategoryDepth; i++ {
		parent, ok := ix.byID[c.ParentID]
		if !ok {
			break
		}
		segs = append(segs, slugOf(parent))
		c = parent
	}
	slices.Reverse(segs)
	return strings.Join(segs, "/")
}

// path returns the slug path of a category id, or a note that it is gone.
func (ix categoryIndex) path(id int64) string {
	if p, ok := ix.paths[id]; ok {
		return p
	}
	if ix.unknown {
		return unknownCategory(id)
	}
	return deletedCategory(id)
}

// restricted reports whether the category or one of its parents is read_restricted.
func (ix categoryIndex) restricted(id int64) bool {
	for i := 0; id != 0 && i < maxCategoryDepth; i++ {
		c, ok := ix.byID[id]
		if !ok {
			return false
		}
		if c.ReadRestricted {
			return true
		}
		id = c.ParentID
	}
	return false
}

// find returns the categories a user's name may mean: the one whose path is name, else those
// whose path ends in "/"+name (a bare child slug, or "child/grandchild").
func (ix categoryIndex) find(name string) []discourse.Category {
	name = strings.ToLower(name)
	var suffix []discourse.Category
	for id, p := range ix.paths {
		switch {
		case p == name:
			return []discourse.Category{ix.byID[id]}
		case strings.HasSuffix(p, "/"+name):
			suffix = append(suffix, ix.byID[id])
		}
	}
	slices.SortFunc(suffix, func(a, b discourse.Category) int { return strings.Compare(ix.paths[a.ID], ix.paths[b.ID]) })
	return suffix
}

// usable lists the paths of the categories a channel may subscribe to, sorted.
func (ix categoryIndex) usable(private bool) []string {
	var out []string
	for id, p := range ix.paths {
		if private || !ix.restricted(id) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
