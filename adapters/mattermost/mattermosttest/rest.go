package mattermosttest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost-server/v6/model"
)

// routes is the REST API (v4) the adapter uses, plus the websocket.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, s.authed(h))
	}
	// The handlers given to locked run with s.mu held; the others read the request body before
	// they take it (getRoles needs none of the fake's state).
	locked := func(pattern string, h http.HandlerFunc) { api(pattern, s.locked(h)) }
	locked("GET /api/v4/users/me", s.getMe)
	locked("GET /api/v4/users/{id}", s.getUser)
	locked("GET /api/v4/users/{id}/teams", s.getTeamsForUser)
	locked("GET /api/v4/users/{id}/teams/{team}/channels", s.getChannelsForUser)
	locked("GET /api/v4/teams/{id}", s.getTeam)
	locked("GET /api/v4/channels/{id}", getOne(s.channelFor))
	locked("GET /api/v4/channels/{id}/members/{user}", s.getChannelMember)
	locked("GET /api/v4/channels/{id}/posts", s.getPosts)
	api("POST /api/v4/posts", s.createPost)
	locked("GET /api/v4/posts/{id}", getOne(s.postFor))
	locked("GET /api/v4/posts/{id}/thread", s.getThread)
	api("PUT /api/v4/posts/{id}/patch", s.patchPost)
	locked("DELETE /api/v4/posts/{id}", s.deletePost)
	api("POST /api/v4/roles/names", s.getRoles)
	locked("GET /api/v4/files/{id}", s.getFile)
	locked("GET /api/v4/files/{id}/link", s.getFileLink)
	mux.HandleFunc("GET /files/{id}/public", s.locked(s.getPublicFile)) // no session: that is the point
	mux.HandleFunc("GET /api/v4/websocket", s.serveWebsocket)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.unhandled.Add(r.Method + " " + r.URL.RequestURI())
		writeError(w, http.StatusNotImplemented, "mattermosttest.unhandled", "the fake does not serve "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// authed checks the bearer token the v6 client sends ("Authorization: BEARER <token>").
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kind, tok, _ := strings.Cut(r.Header.Get(model.HeaderAuth), " ")
		s.mu.Lock()
		ok := strings.EqualFold(kind, model.HeaderBearer) && tok != "" && tok == s.token
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusUnauthorized, "api.context.session_expired.app_error", "Invalid or expired session, please login again.")
			return
		}
		h(w, r)
	}
}

// locked runs h with s.mu held.
func (s *Server) locked(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		h(w, r)
	}
}

// writeError answers with Mattermost's error body (a model.AppError).
func writeError(w http.ResponseWriter, status int, id, msg string) {
	writeJSON(w, status, &model.AppError{Id: id, Message: msg, StatusCode: status, Where: "mattermosttest"})
}

// decodeBody reads the JSON request body into v, or answers the real server's 400 for a body
// that is not a what ("post", "patch").
func decodeBody(w http.ResponseWriter, r *http.Request, v any, what string) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing "+what+" in request body.")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) getMe(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.bot)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	if u := found(w, s.users[r.PathValue("id")], "app.user.missing_account.const", "Unable to find the user."); u != nil {
		writeJSON(w, http.StatusOK, u)
	}
}

func (s *Server) getTeamsForUser(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != s.bot.Id {
		forbidden(w)
		return
	}
	writeJSON(w, http.StatusOK, []*model.Team{s.team})
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != s.team.Id {
		writeError(w, http.StatusNotFound, "app.team.get.find.app_error", "Unable to find the existing team.")
		return
	}
	writeJSON(w, http.StatusOK, s.team)
}

// getChannelsForUser lists the user's channels of a team, direct messages included (as
// Mattermost does).
func (s *Server) getChannelsForUser(w http.ResponseWriter, r *http.Request) {
	user, team := r.PathValue("id"), r.PathValue("team")
	if user != s.bot.Id || team != s.team.Id {
		forbidden(w)
		return
	}
	out := []*model.Channel{}
	for id, ch := range s.channels {
		if s.members[id][user] != nil && (ch.TeamId == team || ch.TeamId == "") {
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(a, b *model.Channel) int { return strings.Compare(a.Name, b.Name) })
	writeJSON(w, http.StatusOK, out)
}

// channelFor returns the channel when the bot may see it (any open channel, else one it is a
// member of), else answers the error the real server gives. Callers hold s.mu.
func (s *Server) channelFor(w http.ResponseWriter, id string) *model.Channel {
	ch := found(w, s.channels[id], "app.channel.get.existing.app_error", "Unable to find the existing channel.")
	if ch != nil && s.members[id][s.bot.Id] == nil && ch.Type != model.ChannelTypeOpen {
		forbidden(w)
		return nil
	}
	return ch
}

// memberChannel returns the channel when the bot is a member: reading its posts or members needs
// that even in an open channel (the real server answers 403 otherwise). Callers hold s.mu.
func (s *Server) memberChannel(w http.ResponseWriter, id string) *model.Channel {
	ch := s.channelFor(w, id)
	if ch != nil && s.members[id][s.bot.Id] == nil {
		forbidden(w)
		return nil
	}
	return ch
}

// getOne serves GET of one object: the one lookup returns for the path's {id}, which answers
// the error itself when the bot may not see it.
func getOne[T any](lookup func(w http.ResponseWriter, id string) *T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v := lookup(w, r.PathValue("id")); v != nil {
			writeJSON(w, http.StatusOK, v)
		}
	}
}

// found returns v, or answers the real server's 404 (its error id and message) when v is nil.
func found[T any](w http.ResponseWriter, v *T, errID, msg string) *T {
	if v == nil {
		writeError(w, http.StatusNotFound, errID, msg)
	}
	return v
}

// livePost returns post id, or answers the real server's 404 when there is none or it was
// deleted (a deleted post is gone for the API). Callers hold s.mu.
func (s *Server) livePost(w http.ResponseWriter, id string) *model.Post {
	p := s.byID[id]
	if p != nil && p.DeleteAt != 0 {
		p = nil
	}
	return found(w, p, "app.post.get.app_error", "Unable to get the post.")
}

// postFor returns post id when the bot may see it (livePost, in a channel of channelFor), else
// answers the real server's error. Callers hold s.mu.
func (s *Server) postFor(w http.ResponseWriter, id string) *model.Post {
	p := s.livePost(w, id)
	if p == nil || s.channelFor(w, p.ChannelId) == nil {
		return nil
	}
	return p
}

// ownPost returns post id when it is the bot's own (livePost), else answers the real server's
// error: the bot may edit and delete its own posts only. Callers hold s.mu.
func (s *Server) ownPost(w http.ResponseWriter, id string) *model.Post {
	p := s.livePost(w, id)
	if p != nil && p.UserId != s.bot.Id {
		forbidden(w)
		return nil
	}
	return p
}

func forbidden(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
}

func (s *Server) getChannelMember(w http.ResponseWriter, r *http.Request) {
	ch := s.memberChannel(w, r.PathValue("id"))
	if ch == nil {
		return
	}
	m := found(w, s.members[ch.Id][r.PathValue("user")], "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.")
	if m == nil {
		return
	}
	out := *m
	if r.PathValue("user") == s.bot.Id && s.readOnly[ch.Id] {
		out.Roles, out.SchemeUser = "channel_readonly", false
	}
	writeJSON(w, http.StatusOK, &out)
}

// getPosts serves a channel's posts: ?since=<ms> (updated after, deleted ones included with
// their message emptied, as the real server answers so that clients drop them), ?before=<id>
// and ?after=<id> with page/per_page, or the newest page/per_page.
func (s *Server) getPosts(w http.ResponseWriter, r *http.Request) {
	ch := s.memberChannel(w, r.PathValue("id"))
	if ch == nil {
		return
	}
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	perPage := 60
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 200)
	}
	var all []*model.Post // oldest first
	for _, p := range s.posts {
		if p.ChannelId == ch.Id && p.DeleteAt == 0 {
			all = append(all, p)
		}
	}
	var pick []*model.Post
	switch {
	case q.Has("since"):
		since, err := strconv.ParseInt(q.Get("since"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "Invalid or missing since parameter.")
			return
		}
		for _, p := range s.posts {
			if p.ChannelId != ch.Id || p.UpdateAt <= since {
				continue
			}
			if p.DeleteAt != 0 {
				p = p.Clone()
				p.Message = ""
			}
			pick = append(pick, p)
		}
	case q.Get("after") != "":
		i := slices.IndexFunc(all, func(p *model.Post) bool { return p.Id == q.Get("after") })
		if i >= 0 {
			pick = pageOf(all[i+1:], page, perPage)
		}
	case q.Get("before") != "":
		i := slices.IndexFunc(all, func(p *model.Post) bool { return p.Id == q.Get("before") })
		if i >= 0 {
			older := slices.Clone(all[:i])
			slices.Reverse(older)
			pick = pageOf(older, page, perPage)
		}
	default:
		newest := slices.Clone(all)
		slices.Reverse(newest)
		pick = pageOf(newest, page, perPage)
	}
	writeJSON(w, http.StatusOK, postList(pick))
}

// pageOf returns page n of size per of ps.
func pageOf(ps []*model.Post, n, per int) []*model.Post {
	lo := n * per
	if lo >= len(ps) || lo < 0 {
		return nil
	}
	return ps[lo:min(len(ps), lo+per)]
}

// postList builds the API's PostList: order newest first.
func postList(ps []*model.Post) *model.PostList {
	l := model.NewPostList()
	for _, p := range ps {
		l.AddPost(p)
		l.AddOrder(p.Id)
	}
	l.SortByCreateAt()
	return l
}

func (s *Server) getThread(w http.ResponseWriter, r *http.Request) {
	p := s.postFor(w, r.PathValue("id"))
	if p == nil {
		return
	}
	root := p.Id
	if p.RootId != "" {
		root = p.RootId
	}
	var thread []*model.Post
	for _, q := range s.posts {
		if q.Id == root || q.RootId == root {
			thread = append(thread, q)
		}
	}
	writeJSON(w, http.StatusOK, postList(thread))
}

// createPost stores a post from the bot and pushes it to websockets, or answers 429 when a rate
// limit was armed (text body, like Mattermost's limiter).
func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	var p model.Post
	if !decodeBody(w, r, &p, "post") {
		return
	}
	if f, ok := s.postFaults.Take(); ok {
		f.answer(w)
		return
	}
	s.mu.Lock()
	ch := s.channels[p.ChannelId]
	switch {
	case ch == nil:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing channel_id in request body.")
		return
	case s.members[ch.Id][s.bot.Id] == nil || s.readOnly[ch.Id]:
		s.mu.Unlock()
		forbidden(w)
		return
	}
	// An empty message is accepted (201), as the real server does.
	if p.RootId != "" {
		root := s.byID[p.RootId]
		if root == nil || root.DeleteAt != 0 || root.ChannelId != ch.Id || root.RootId != "" {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
			return
		}
	}
	post := &model.Post{ChannelId: ch.Id, RootId: p.RootId, Message: p.Message, UserId: s.bot.Id, Props: p.GetProps()}
	post.AddProp("from_bot", "true")
	s.store(post)
	body, _ := json.Marshal(post)
	s.mu.Unlock()
	s.broadcastPosted(post)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

// fault is a failure armed for a create-post call: a 429 when rateLimit is set (text body and
// headers like Mattermost's limiter), else a 500.
type fault struct{ rateLimit time.Duration }

func (f fault) answer(w http.ResponseWriter) {
	if f.rateLimit == 0 {
		writeError(w, http.StatusInternalServerError, "app.post.save.app_error", "Unable to save the post.")
		return
	}
	secs := strconv.Itoa(int((f.rateLimit + time.Second - 1) / time.Second))
	w.Header().Set("X-RateLimit-Limit", "10")
	w.Header().Set("X-RateLimit-Remaining", "0")
	w.Header().Set("X-RateLimit-Reset", secs)
	w.Header().Set("Retry-After", secs)
	http.Error(w, "limit exceeded", http.StatusTooManyRequests)
}

// patchPost serves PUT /api/v4/posts/{id}/patch for the bot's own posts: the fields sent
// (message, props) replace the old ones, and edit_at is set.
func (s *Server) patchPost(w http.ResponseWriter, r *http.Request) {
	var patch model.PostPatch
	if !decodeBody(w, r, &patch, "patch") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.ownPost(w, r.PathValue("id"))
	if p == nil {
		return
	}
	if patch.Message != nil {
		p.Message = *patch.Message
	}
	if patch.Props != nil {
		props := model.StringInterface(*patch.Props)
		props["from_bot"] = "true"
		p.SetProps(props)
	}
	p.EditAt = max(model.GetMillis(), p.CreateAt+1)
	p.UpdateAt = p.EditAt
	if s.edits == nil {
		s.edits = map[string]int{}
	}
	s.edits[p.Id]++
	writeJSON(w, http.StatusOK, p)
}

// deletePost serves DELETE /api/v4/posts/{id}: the bot may delete its own posts.
func (s *Server) deletePost(w http.ResponseWriter, r *http.Request) {
	p := s.ownPost(w, r.PathValue("id"))
	if p == nil {
		return
	}
	p.DeleteAt = max(model.GetMillis(), p.CreateAt)
	p.UpdateAt = p.DeleteAt
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

// getRoles answers the role definitions (model.Role) for role names.
func (s *Server) getRoles(w http.ResponseWriter, r *http.Request) {
	names := model.ArrayFromJSON(r.Body)
	perms := map[string][]string{
		"system_user":      {"create_team", "list_public_teams"},
		"system_admin":     {"manage_system"},
		"channel_user":     {"read_channel", "create_post", "add_reaction"},
		"channel_admin":    {"manage_public_channel_members", "manage_channel_roles"},
		"channel_readonly": {"read_channel"},
	}
	out := []*model.Role{}
	for _, n := range names {
		if p, ok := perms[n]; ok {
			out = append(out, &model.Role{Id: model.NewId(), Name: n, DisplayName: n, Permissions: p, BuiltIn: true})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// fileFor returns a file the bot may read (it is a member of the file's channel), else answers
// the real server's error. Callers hold s.mu.
func (s *Server) fileFor(w http.ResponseWriter, id string) *model.FileInfo {
	f := found(w, s.files[id], "app.file_info.get.app_error", "Unable to get the file info.")
	if f == nil || s.memberChannel(w, f.ChannelId) == nil {
		return nil
	}
	return f
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	if f := s.fileFor(w, r.PathValue("id")); f != nil {
		w.Header().Set("Content-Type", f.MimeType)
		_, _ = w.Write(s.fileData[f.Id])
	}
}

// publicHash is the h= of a public link (the real server hashes a salt and the file id).
func publicHash(id string) string { return "fake-" + id }

// getFileLink answers {"link": …} while public links are on, else 501 as the real server does.
func (s *Server) getFileLink(w http.ResponseWriter, r *http.Request) {
	if !s.publicLinks {
		writeError(w, http.StatusNotImplemented, "api.file.get_public_link.disabled.app_error", "Public links have been disabled.")
		return
	}
	if f := s.fileFor(w, r.PathValue("id")); f != nil {
		writeJSON(w, http.StatusOK, map[string]string{"link": s.hs.URL + "/files/" + f.Id + "/public?h=" + publicHash(f.Id)})
	}
}

// getPublicFile serves a file to anyone holding its public link.
func (s *Server) getPublicFile(w http.ResponseWriter, r *http.Request) {
	f := s.files[r.PathValue("id")]
	switch {
	case !s.publicLinks:
		writeError(w, http.StatusNotImplemented, "api.file.get_public_link.disabled.app_error", "Public links have been disabled.")
	case f == nil || r.URL.Query().Get("h") != publicHash(f.Id):
		writeError(w, http.StatusBadRequest, "api.file.get_file.public_invalid.app_error", "The public link does not appear to be valid.")
	default:
		w.Header().Set("Content-Type", f.MimeType)
		_, _ = w.Write(s.fileData[f.Id])
	}
}
