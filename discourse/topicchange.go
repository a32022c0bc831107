package discourse

import (
	"context"
	"strconv"
)

// Topic moves and new tags (DESIGN §13). A staff edit of a topic's category or tags goes through
// PostRevisor on its first post, whose publish_changes says "revised" on /topic/{id} with
// reload_topic: true (Post#publish_change_to_clients! merges the option into the message).
// Nothing reaches every topic: TopicTrackingState.publish_latest carries the category and tags
// on /latest, but PostRevisor calls it only when it bumps the topic (a new version of its last
// post), so a topic with replies moves or gains a tag without a word there. The session thus
// follows the /topic/{id} channels of the topics the bot knows (PollerConfig.FollowTopics), and
// a reload_topic message costs one request: the topic's JSON, which refreshes the topic cache
// and carries the first post.

// TopicWithFirstPost fetches a topic (GET /t/{id}.json) and the first post of its post stream;
// ok is false when the stream does not begin with it (deleted, say).
func (c *Client) TopicWithFirstPost(ctx context.Context, id int64) (t Topic, first Post, ok bool, err error) {
	var w struct {
		wireTopic
		PostStream struct {
			Posts []wirePost `json:"posts"`
		} `json:"post_stream"`
	}
	if err := c.call(ctx, "GET", "/t/"+strconv.FormatInt(id, 10)+".json", nil, nil, &w); err != nil {
		return Topic{}, Post{}, false, err
	}
	t = w.topic()
	if ps := w.PostStream.Posts; len(ps) > 0 && ps[0].PostNumber == 1 {
		first, ok = ps[0].post(), true
		if first.TopicID == 0 {
			first.TopicID = t.ID
		}
		first.CategoryID = t.CategoryID
	}
	return t, first, ok, nil
}

// reloadTopic reads a topic afresh for a reload_topic message about its post postID, refreshing
// the topic cache, and returns the post: from the topic's answer when it is the first post there,
// else with one more request.
func (p *Poller) reloadTopic(ctx context.Context, topicID, postID int64) (Post, error) {
	t, first, ok, err := p.c.TopicWithFirstPost(ctx, topicID)
	if err != nil {
		return Post{}, err
	}
	p.topics.Add(topicID, topicEntry{t: t, at: p.cfg.Now()})
	if ok && first.ID == postID {
		return first, nil
	}
	return p.c.Post(ctx, postID)
}
