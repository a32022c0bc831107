package state

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

const ruleColumns = `id, channel, type, filter, category_id, tags, group_name, created_at`

// Rules returns a channel's rules in precedence order.
func (s *sqlStore) Rules(ctx context.Context, channel string) ([]Rule, error) {
	rules, err := s.queryRules(ctx, `SELECT `+ruleColumns+` FROM rules WHERE channel = $1`, channel)
	if err != nil {
		return nil, fmt.Errorf("rules of %q: %w", channel, err)
	}
	SortRules(rules)
	return rules, nil
}

// AllRules returns every rule, by channel and then in precedence order.
func (s *sqlStore) AllRules(ctx context.Context) ([]Rule, error) {
	rules, err := s.queryRules(ctx, `SELECT `+ruleColumns+` FROM rules`)
	if err != nil {
		return nil, fmt.Errorf("all rules: %w", err)
	}
	slices.SortStableFunc(rules, func(a, b Rule) int {
		return cmp.Or(strings.Compare(a.Channel, b.Channel), Less(a, b))
	})
	return rules, nil
}

func (s *sqlStore) queryRules(ctx context.Context, query string, args ...any) ([]Rule, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rules []Rule
	for rows.Next() {
		var r Rule
		var tags string
		var created int64
		if err := rows.Scan(&r.ID, &r.Channel, &r.Type, &r.Filter, &r.CategoryID, &tags, &r.Group, &created); err != nil {
			return nil, err
		}
		r.Tags = decodeTags(tags)
		if created != 0 {
			r.CreatedAt = time.UnixMicro(created).UTC()
		}
		rules = append(rules, r)
	}
	return rules, rows.Err()
}

// AddRule validates and stores a rule, creating its channel.
func (s *sqlStore) AddRule(ctx context.Context, r Rule) (Rule, error) {
	r.Tags = normalTags(r.Tags)
	if err := r.Validate(); err != nil {
		return Rule{}, fmt.Errorf("add rule: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, "add rule", func(tx *sql.Tx) error {
		if err := ensureChannel(ctx, tx, r.Channel, now); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx,
			`INSERT INTO rules (channel, type, filter, category_id, tags, group_name, created_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			r.Channel, string(r.Type), string(r.Filter), r.CategoryID, encodeTags(r.Tags), r.Group, now.UnixMicro(),
		).Scan(&r.ID)
	})
	if err != nil {
		return Rule{}, err
	}
	r.CreatedAt = now
	return r, nil
}

// UpdateRule changes a stored rule's filter and tags; the result must still be a valid rule.
func (s *sqlStore) UpdateRule(ctx context.Context, r Rule) error {
	return s.inTx(ctx, fmt.Sprintf("update rule %d", r.ID), func(tx *sql.Tx) error {
		var cur Rule
		var tags string
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM rules WHERE id = $1`, r.ID).
			Scan(&cur.ID, &cur.Channel, &cur.Type, &cur.Filter, &cur.CategoryID, &tags, &cur.Group, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		cur.Filter = r.Filter
		cur.Tags = normalTags(r.Tags)
		if err := cur.Validate(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE rules SET filter = $2, tags = $3 WHERE id = $1`,
			cur.ID, string(cur.Filter), encodeTags(cur.Tags))
		return err
	})
}

// DeleteRule removes a rule.
func (s *sqlStore) DeleteRule(ctx context.Context, id int64) error {
	if err := mustAffect(s.w.ExecContext(ctx, `DELETE FROM rules WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("delete rule %d: %w", id, err)
	}
	return nil
}

// normalTags is NormalizeTags with nil for no tags, the form the store returns.
func normalTags(tags []string) []string {
	if tags = NormalizeTags(tags); len(tags) == 0 {
		return nil
	}
	return tags
}

// encodeTags stores a tag set as its normalised names joined by spaces (Validate forbids
// spaces in a tag, so the encoding is unambiguous).
func encodeTags(tags []string) string { return strings.Join(NormalizeTags(tags), " ") }

// decodeTags is the inverse of encodeTags; no tags is nil.
func decodeTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}
