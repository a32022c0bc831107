package discourse

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Catalogue refresh timing.
const (
	// CatalogRefresh is how old the catalogue may get before a lookup refreshes it.
	CatalogRefresh = 10 * time.Minute
	// catalogMinRefresh stops unknown ids from refreshing more often than this.
	catalogMinRefresh = 30 * time.Second
	// catalogWait bounds how long a lookup waits for the forum when the cached catalogue cannot
	// answer; after such a fetch failed, lookups within catalogWait fail at once.
	catalogWait = 5 * time.Second
	// catalogBackground bounds a refresh run behind the lookups.
	catalogBackground = 30 * time.Second
)

// Catalog caches the forum's categories, tags and groups. It loads lazily, refreshes every
// CatalogRefresh, and early (at most every 30 s) when asked for something it does not know.
// Lookups never wait long for the forum: a catalogue that is merely old answers at once and is
// refreshed behind the lookup; a fetch the answer depends on waits catalogWait at most, and
// right after one failed, the next lookups fail at once instead of waiting again.
// It is safe for concurrent use.
type Catalog struct {
	c   *Client
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	cats   map[int64]Category
	order  []int64
	catsAt time.Time
	// catsAsked is when the request of the categories held was sent (time.Now, not the clock
	// tests set); catsChanged when the forum last said a category changed (CategoriesChanged).
	catsAsked, catsChanged time.Time
	tags                   map[string]bool
	tagsAt                 time.Time
	groups                 map[string]bool
	groupsAt               time.Time
	// Per list, keyed by its load time's field: a refresh running behind the lookups, and the
	// last failed fetch a lookup waited for.
	busy   map[*time.Time]bool
	failed map[*time.Time]fetchFailure

	idsMu    sync.Mutex       // the group loader sets groupIDs with or without mu held
	groupIDs map[string]int64 // lower-cased name → id, loaded with groups
}

// fetchFailure is a failed fetch and when it failed.
type fetchFailure struct {
	err error
	at  time.Time
}

// recent returns the failure's error if it failed within catalogWait of now.
func (f fetchFailure) recent(now time.Time) error {
	if f.err != nil && now.Sub(f.at) < catalogWait {
		return f.err
	}
	return nil
}

// behind runs fetch in the background for the list whose load time is at, unless one runs
// already; it is bounded by catalogBackground. k.mu is held; apply runs with it held.
func (k *Catalog) behind(at *time.Time, fetch func(ctx context.Context) (apply func(), err error)) {
	if k.busy[at] {
		return
	}
	if k.busy == nil {
		k.busy = map[*time.Time]bool{}
	}
	k.busy[at] = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), catalogBackground)
		defer cancel()
		apply, err := fetch(ctx)
		k.mu.Lock()
		defer k.mu.Unlock()
		k.busy[at] = false
		if err != nil {
			k.log.Warn("refresh forum catalogue failed; keeping the old list", "err", err)
			*at = k.now().Add(catalogMinRefresh - CatalogRefresh) // try again in a while
			return
		}
		apply()
	}()
}

// waitFailed returns the error of a fetch for the list at that failed just now; k.mu is held.
func (k *Catalog) waitFailed(at *time.Time) error { return k.failed[at].recent(k.now()) }

// fetchFailed records a failed fetch for the list at; k.mu is held.
func (k *Catalog) fetchFailed(at *time.Time, err error) {
	if k.failed == nil {
		k.failed = map[*time.Time]fetchFailure{}
	}
	k.failed[at] = fetchFailure{err, k.now()}
}

// NewCatalog returns an empty catalogue that loads from c on first use.
func NewCatalog(c *Client) *Catalog {
	return &Catalog{c: c, log: c.log, now: time.Now}
}

// SetClock replaces the catalogue's clock (default time.Now), for tests of its refresh.
func (k *Catalog) SetClock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = now
}

// stale decides whether data loaded at `at` must be reloaded; miss says the caller did not find
// what it looked for.
func (k *Catalog) stale(at time.Time, miss bool) bool {
	age := k.now().Sub(at)
	return at.IsZero() || age >= CatalogRefresh || miss && age >= catalogMinRefresh
}

// Categories returns every category, in the forum's order.
func (k *Catalog) Categories(ctx context.Context) ([]Category, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.loadCategories(ctx, false); err != nil {
		return nil, err
	}
	out := make([]Category, 0, len(k.order))
	for _, id := range k.order {
		out = append(out, k.cats[id])
	}
	return out, nil
}

// loadCategories refreshes the categories if they are stale. A failed refresh of data already
// loaded keeps the old data and logs.
func (k *Catalog) loadCategories(ctx context.Context, miss bool) error {
	changed := k.cats != nil && !k.catsAsked.After(k.catsChanged)
	if !k.stale(k.catsAt, miss) && !changed {
		return nil
	}
	if k.cats != nil && !miss && !changed { // only old: answer from it
		k.behind(&k.catsAt, func(ctx context.Context) (func(), error) {
			asked := time.Now()
			cats, err := k.c.SiteCategories(ctx)
			return func() { k.setCategories(cats, asked) }, err
		})
		return nil
	}
	if err := k.waitFailed(&k.catsAt); err != nil {
		if k.cats != nil {
			return nil
		}
		return err
	}
	if err := k.fetchCategories(ctx); err != nil {
		if k.cats != nil {
			if ctx.Err() == nil { // the caller stopping is no failure of the forum
				k.log.Warn("refresh forum categories failed; keeping the old list", "err", err)
				k.catsAt = k.now()
			}
			return nil
		}
		return err
	}
	return nil
}

// setCategories replaces the cached categories with those asked for at asked; k.mu is held.
func (k *Catalog) setCategories(cats []Category, asked time.Time) {
	k.cats = make(map[int64]Category, len(cats))
	k.order = k.order[:0]
	for _, c := range cats {
		k.cats[c.ID] = c
		k.order = append(k.order, c.ID)
	}
	k.catsAt = k.now()
	if asked.After(k.catsAsked) { // a slow background answer never replaces a newer one's time
		k.catsAsked = asked
	}
}

// CategoriesChanged says the forum announced a change of categories (on the MessageBus): the
// next lookup reloads them first, waiting for the answer (one request however many changes).
func (k *Catalog) CategoriesChanged() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.catsChanged = time.Now()
}

// CategoriesSince makes sure the categories held were asked for after t (time.Now's clock),
// reloading them now if not: a post read from the forum at t is then checked against
// permissions at least as new as the post. Unlike the other lookups, a failed reload is an
// error, not an answer from the old list.
func (k *Catalog) CategoriesSince(ctx context.Context, t time.Time) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cats != nil && k.catsAsked.After(t) && k.catsAsked.After(k.catsChanged) {
		return nil
	}
	if err := k.waitFailed(&k.catsAt); err != nil {
		return err
	}
	return k.fetchCategories(ctx)
}

// CurrentTree returns the category tree of the categories held, for a check at send time that
// must cost no request: they are read again first only when none are held yet or the forum
// announced a change since they were asked for (CategoriesChanged), and then, unlike Tree, a
// failed read is an error rather than an answer from the old list. Categories merely old are
// refreshed behind the answer, as for every lookup.
func (k *Catalog) CurrentTree(ctx context.Context) (Tree, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cats == nil || !k.catsAsked.After(k.catsChanged) {
		if err := k.waitFailed(&k.catsAt); err != nil {
			return Tree{}, err
		}
		if err := k.fetchCategories(ctx); err != nil {
			return Tree{}, err
		}
	} else if err := k.loadCategories(ctx, false); err != nil {
		return Tree{}, err
	}
	cats := make([]Category, 0, len(k.order))
	for _, id := range k.order {
		cats = append(cats, k.cats[id])
	}
	return NewTree(cats), nil
}

// fetchCategories asks the forum for the categories now, waiting catalogWait at most, and keeps
// them; a failure counts towards the backoff. k.mu is held.
func (k *Catalog) fetchCategories(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, catalogWait)
	defer cancel()
	asked := time.Now()
	cats, err := k.c.SiteCategories(cctx)
	if err != nil {
		if ctx.Err() == nil { // a caller that gave up is no failure for the other callers to wait out
			k.fetchFailed(&k.catsAt, err)
		}
		return err
	}
	k.setCategories(cats, asked)
	return nil
}

// Category returns a category by id, refreshing the catalogue once if the id is unknown.
func (k *Catalog) Category(ctx context.Context, id int64) (Category, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.category(ctx, id)
}

func (k *Catalog) category(ctx context.Context, id int64) (Category, bool, error) {
	if err := k.loadCategories(ctx, false); err != nil {
		return Category{}, false, err
	}
	if c, ok := k.cats[id]; ok {
		return c, true, nil
	}
	if err := k.loadCategories(ctx, true); err != nil {
		return Category{}, false, err
	}
	c, ok := k.cats[id]
	return c, ok, nil
}

// CategoryPath returns "Parent/Child" (by name) for a category, its name for a top-level one,
// and "" for an unknown id or when the forum cannot be reached (which is logged).
func (k *Catalog) CategoryPath(ctx context.Context, id int64) string {
	if _, _, err := k.Category(ctx, id); err != nil { // refreshes once for an unknown id
		if ctx.Err() == nil {
			k.log.Warn("forum categories unavailable", "err", err)
		}
		return ""
	}
	t, err := k.Tree(ctx)
	if err != nil {
		if ctx.Err() == nil {
			k.log.Warn("forum categories unavailable", "err", err)
		}
		return ""
	}
	return t.NamePath(id)
}

// HasTag reports whether the forum has a tag of that name (case-insensitively).
func (k *Catalog) HasTag(ctx context.Context, name string) (bool, error) {
	return k.has(ctx, strings.ToLower(name), &k.tags, &k.tagsAt, k.loadTags)
}

// Tags lists the forum's tag names, lower-cased and sorted.
func (k *Catalog) Tags(ctx context.Context) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx, false, &k.tags, &k.tagsAt, k.loadTags); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(k.tags))
	for t := range k.tags {
		out = append(out, t)
	}
	slices.Sort(out)
	return out, nil
}

func (k *Catalog) loadTags(ctx context.Context) ([]string, error) { return k.c.Tags(ctx) }

// HasGroup reports whether the forum has a group of that name (case-insensitively).
func (k *Catalog) HasGroup(ctx context.Context, name string) (bool, error) {
	return k.has(ctx, strings.ToLower(name), &k.groups, &k.groupsAt, func(ctx context.Context) ([]string, error) {
		gs, err := k.c.Groups(ctx)
		names := make([]string, len(gs))
		ids := make(map[string]int64, len(gs))
		for i, g := range gs {
			names[i] = g.Name
			ids[strings.ToLower(g.Name)] = g.ID
		}
		if err == nil {
			k.idsMu.Lock()
			k.groupIDs = ids
			k.idsMu.Unlock()
		}
		return names, err
	})
}

// GroupID returns a group's id by name (case-insensitively); ok is false for an unknown group.
func (k *Catalog) GroupID(ctx context.Context, name string) (id int64, ok bool, err error) {
	if ok, err = k.HasGroup(ctx, name); err != nil || !ok {
		return 0, false, err
	}
	k.idsMu.Lock()
	defer k.idsMu.Unlock()
	id, ok = k.groupIDs[strings.ToLower(name)]
	return id, ok, nil
}

func (k *Catalog) has(ctx context.Context, name string, set *map[string]bool, at *time.Time, load func(context.Context) ([]string, error)) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx, false, set, at, load); err != nil {
		return false, err
	}
	if (*set)[name] {
		return true, nil
	}
	if err := k.refresh(ctx, true, set, at, load); err != nil {
		return false, err
	}
	return (*set)[name], nil
}

// refresh reloads a name set when it is stale (miss: the caller did not find a name in it). A
// failed reload keeps the old set. k.mu is held.
func (k *Catalog) refresh(ctx context.Context, miss bool, set *map[string]bool, at *time.Time, load func(context.Context) ([]string, error)) error {
	if !k.stale(*at, miss) {
		return nil
	}
	if *set != nil && !miss { // only old: answer from it
		k.behind(at, func(ctx context.Context) (func(), error) {
			names, err := load(ctx)
			return func() { *set, *at = lowerSet(names), k.now() }, err
		})
		return nil
	}
	if err := k.waitFailed(at); err != nil {
		if *set != nil {
			return nil
		}
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, catalogWait)
	defer cancel()
	names, err := load(lctx)
	if err != nil {
		if ctx.Err() == nil { // a caller that gave up is no failure for the other callers to wait out
			k.fetchFailed(at, err)
		}
		if *set != nil {
			if ctx.Err() == nil { // the caller stopping is no failure of the forum
				k.log.Warn("refresh forum catalogue failed; keeping the old list", "err", err)
				*at = k.now()
			}
			return nil
		}
		return err
	}
	*set, *at = lowerSet(names), k.now()
	return nil
}

// lowerSet is the set of the lower-cased names.
func lowerSet(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = true
	}
	return m
}
