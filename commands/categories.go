package commands

import "github.com/discourse-chatbot/discourse-chatbot/discourse"

// categoryIndex is the forum's category tree as the commands show it: a rule naming a category
// that is gone says so, unless the forum could not be asked at all.
type categoryIndex struct {
	discourse.Tree
	// unknown is set when the catalogue could not be read: ids are then shown as they are,
	// not as deleted categories.
	unknown bool
}

func newCategoryIndex(cats []discourse.Category) categoryIndex {
	return categoryIndex{Tree: discourse.NewTree(cats)}
}

// path returns the slug path of a category id, or a note that it is gone.
func (ix categoryIndex) path(id int64) string {
	if p, ok := ix.SlugPath(id); ok {
		return p
	}
	if ix.unknown {
		return unknownCategory(id)
	}
	return deletedCategory(id)
}

// restricted reports whether the category or one of its parents is read_restricted.
func (ix categoryIndex) restricted(id int64) bool {
	r, _ := ix.Restricted(id)
	return r
}

// find returns the categories a user's name may mean.
func (ix categoryIndex) find(name string) []discourse.Category { return ix.Find(name) }

// usable lists the paths of the categories a channel may subscribe to, sorted.
func (ix categoryIndex) usable(private bool) []string { return ix.Usable(private) }
