package matrixtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	const c = "/_matrix/client"
	mux.HandleFunc("GET "+c+"/versions", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, 200, map[string]any{"versions": []string{"v1.1", "v1.5", "v1.11"}})
	})
	mux.HandleFunc("POST "+c+"/v3/login", s.login)
	mux.HandleFunc("GET "+c+"/v3/account/whoami", s.authed(func(w http.ResponseWriter, _ *http.Request, me session) {
		reply(w, 200, map[string]any{"user_id": me.user, "device_id": me.device})
	}))
	mux.HandleFunc("POST "+c+"/v3/user/{user}/filter", s.authed(s.createFilter))
	mux.HandleFunc("GET "+c+"/v3/sync", s.authed(s.sync))
	mux.HandleFunc("PUT "+c+"/v3/rooms/{room}/send/{type}/{txn}", s.inRoom(s.send))
	mux.HandleFunc("PUT "+c+"/v3/rooms/{room}/redact/{event}/{txn}", s.inRoom(s.redact))
	mux.HandleFunc("POST "+c+"/v3/join/{room}", s.authed(s.joinRoom))
	mux.HandleFunc("POST "+c+"/v3/rooms/{room}/join", s.authed(s.joinRoom))
	mux.HandleFunc("POST "+c+"/v3/rooms/{room}/leave", s.authed(s.leave))
	mux.HandleFunc("GET "+c+"/v3/rooms/{room}/state/{type}/{key...}", s.inRoom(s.stateEvent))
	mux.HandleFunc("GET "+c+"/v3/rooms/{room}/messages", s.inRoom(s.messages))
	mux.HandleFunc("GET "+c+"/v3/rooms/{room}/context/{event}", s.inRoom(s.context))
	mux.HandleFunc("GET "+c+"/v3/rooms/{room}/event/{event}", s.inRoom(s.getEvent))
	mux.HandleFunc("GET "+c+"/v1/rooms/{room}/relations/{event}/{rel}", s.inRoom(s.relations))
	mux.HandleFunc("GET "+c+"/v3/profile/{user}/displayname", s.authed(s.displayName))
	mux.HandleFunc("GET "+c+"/v3/joined_rooms", s.authed(s.joinedRooms))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.unhandled.Add(r.Method + " " + r.URL.Path)
		fail(w, 404, "M_UNRECOGNIZED", "matrixtest does not know "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	reply(w, status, map[string]any{"errcode": code, "error": msg})
}

// inRoom is authed, and checks under s.mu that the caller has joined the path's room (else
// 403 M_FORBIDDEN, as a server answers a non-member); h runs with s.mu held.
func (s *Server) inRoom(h func(http.ResponseWriter, *http.Request, session, *room)) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, me session) {
		s.mu.Lock()
		defer s.mu.Unlock()
		rm := s.rooms[id.RoomID(r.PathValue("room"))]
		if s.membership(rm, me.user) != "join" {
			fail(w, 403, "M_FORBIDDEN", "not in the room")
			return
		}
		h(w, r, me, rm)
	})
}

// authed checks the access token.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		me, ok := s.tokens[tok]
		s.mu.Unlock()
		if tok == "" {
			fail(w, 401, "M_MISSING_TOKEN", "no access token")
			return
		}
		if !ok {
			fail(w, 401, "M_UNKNOWN_TOKEN", "unknown access token")
			return
		}
		h(w, r, me)
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req mautrix.ReqLogin
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, 400, "M_BAD_JSON", err.Error())
		return
	}
	user := id.UserID(req.Identifier.User)
	if !strings.HasPrefix(string(user), "@") {
		user = id.NewUserID(string(user), ServerName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.names[user]; !known || req.Type != mautrix.AuthTypePassword || req.Password != Password {
		fail(w, 403, "M_FORBIDDEN", "invalid username or password")
		return
	}
	s.logins++
	dev := req.DeviceID
	if dev == "" {
		dev = id.DeviceID(fmt.Sprintf("DEV%d", s.logins))
	}
	tok := fmt.Sprintf("token-%s-%d", user.Localpart(), s.logins)
	s.tokens[tok] = session{user, dev}
	reply(w, 200, map[string]any{"user_id": user, "access_token": tok, "device_id": dev})
}

func (s *Server) createFilter(w http.ResponseWriter, r *http.Request, _ session) {
	var f mautrix.Filter
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
		fail(w, 400, "M_BAD_JSON", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fid := strconv.Itoa(len(s.filters) + 1)
	s.filters[fid] = &f
	reply(w, 200, map[string]any{"filter_id": fid})
}

// sync answers /sync: everything after the since token in the user's rooms, waiting up to
// timeout for something to happen.
func (s *Server) sync(w http.ResponseWriter, r *http.Request, me session) {
	q := r.URL.Query()
	since := q.Get("since")
	timeout, _ := strconv.Atoi(q.Get("timeout"))
	s.mu.Lock()
	s.syncs = append(s.syncs, since)
	if f, ok := s.syncFaults.Take(); ok {
		s.mu.Unlock()
		f.answer(w)
		return
	}
	var f *mautrix.Filter
	if fid := q.Get("filter"); fid != "" {
		if f = s.filters[fid]; f == nil {
			s.mu.Unlock()
			fail(w, 400, "M_INVALID_PARAM", "unknown filter "+fid)
			return
		}
	}
	from := 0
	if since != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(since, "s"))
		if err != nil || !strings.HasPrefix(since, "s") || n > len(s.stream) {
			s.mu.Unlock()
			fail(w, 400, "M_INVALID_PARAM", "bad since token "+since)
			return
		}
		from = n
	}
	timer := time.NewTimer(time.Duration(timeout) * time.Millisecond)
	defer timer.Stop()
	for waiting := since != ""; waiting && from == len(s.stream); {
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			waiting = false
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
	resp := s.syncResponse(me.user, since == "", from, f)
	s.mu.Unlock()
	reply(w, 200, resp)
}

// syncResponse builds a sync answer from stream position from on. s.mu is held.
func (s *Server) syncResponse(me id.UserID, initial bool, from int, f *mautrix.Filter) *mautrix.RespSync {
	resp := &mautrix.RespSync{NextBatch: "s" + strconv.Itoa(len(s.stream))}
	resp.Rooms.Join = map[id.RoomID]*mautrix.SyncJoinedRoom{}
	resp.Rooms.Invite = map[id.RoomID]*mautrix.SyncInvitedRoom{}
	var timeline *mautrix.FilterPart
	if f != nil && f.Room != nil {
		timeline = f.Room.Timeline
	}
	joined := func(r *room) *mautrix.SyncJoinedRoom {
		jr := resp.Rooms.Join[r.id]
		if jr == nil {
			jr = &mautrix.SyncJoinedRoom{}
			resp.Rooms.Join[r.id] = jr
		}
		return jr
	}
	fullState := func(r *room) []*event.Event {
		var out []*event.Event
		for _, ev := range r.state {
			out = append(out, ev)
		}
		slices.SortFunc(out, func(a, b *event.Event) int { return strings.Compare(a.ID.String(), b.ID.String()) })
		return out
	}
	if initial {
		for _, r := range s.rooms {
			switch s.membership(r, me) {
			case "join":
				jr := joined(r)
				jr.State.Events = fullState(r)
				n := max(0, len(r.timeline)-10)
				for _, ev := range r.timeline[n:] {
					if allowed(timeline, ev.Type.Type) {
						jr.Timeline.Events = append(jr.Timeline.Events, ev)
					}
				}
				jr.Timeline.Limited = n > 0
			case "invite":
				resp.Rooms.Invite[r.id] = &mautrix.SyncInvitedRoom{State: mautrix.SyncEventsList{Events: fullState(r)}}
			}
		}
		return resp
	}
	for _, e := range s.stream[from:] {
		ev := e.ev
		if ev.Type == event.StateMember && ev.StateKey != nil && *ev.StateKey == me.String() {
			switch s.membership(e.room, me) {
			case "invite":
				resp.Rooms.Invite[e.room.id] = &mautrix.SyncInvitedRoom{State: mautrix.SyncEventsList{Events: fullState(e.room)}}
				continue
			case "join":
				joined(e.room).State.Events = fullState(e.room)
			}
		}
		if s.membership(e.room, me) != "join" || !allowed(timeline, ev.Type.Type) {
			continue
		}
		jr := joined(e.room)
		jr.Timeline.Events = append(jr.Timeline.Events, ev)
	}
	if timeline != nil && timeline.Limit > 0 {
		for _, jr := range resp.Rooms.Join {
			if n := len(jr.Timeline.Events); n > timeline.Limit {
				jr.Timeline.Events = jr.Timeline.Events[n-timeline.Limit:]
				jr.Timeline.Limited = true
				first := jr.Timeline.Events[0].ID
				r := s.rooms[jr.Timeline.Events[0].RoomID]
				jr.Timeline.PrevBatch = "t" + strconv.Itoa(slices.IndexFunc(r.timeline, func(ev *event.Event) bool { return ev.ID == first }))
			}
		}
	}
	return resp
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, me session, rm *room) {
	var content map[string]any
	if err := json.NewDecoder(r.Body).Decode(&content); err != nil {
		fail(w, 400, "M_NOT_JSON", err.Error())
		return
	}
	if f, ok := s.sends.Take(); ok {
		f.answer(w)
		return
	}
	if !s.takeSend(w, me.user) {
		return
	}
	txn := me.user.String() + "/" + string(me.device) + "/" + r.PathValue("txn")
	if evID, ok := s.txns[txn]; ok {
		reply(w, 200, map[string]any{"event_id": evID})
		return
	}
	ev := s.add(rm, me.user, r.PathValue("type"), nil, content)
	s.txns[txn] = ev.ID
	reply(w, 200, map[string]any{"event_id": ev.ID})
}

// redact serves PUT /rooms/{room}/redact/{event}/{txn}: a member may redact its own events.
// The event keeps its place with its content stripped and unsigned.redacted_because set; a second
// redaction is accepted, as on a real server.
func (s *Server) redact(w http.ResponseWriter, r *http.Request, me session, rm *room) {
	var target *event.Event
	at := -1
	for i, ev := range rm.timeline {
		if ev.ID.String() == r.PathValue("event") {
			target, at = ev, i
		}
	}
	switch {
	case target == nil:
		fail(w, 404, "M_NOT_FOUND", "no such event")
		return
	case target.Sender != me.user:
		fail(w, 403, "M_FORBIDDEN", "you may only redact your own events")
		return
	case !s.takeSend(w, me.user):
		return
	}
	red := s.add(rm, me.user, "m.room.redaction", nil, map[string]any{"redacts": target.ID})
	red.Redacts = target.ID
	// A redacted copy takes the event's place: events already handed out stay as they were.
	cp := *target
	cp.Content = event.Content{VeryRaw: json.RawMessage("{}")}
	cp.Unsigned.RedactedBecause = red
	rm.timeline[at] = &cp
	reply(w, 200, map[string]any{"event_id": red.ID})
}

func (s *Server) joinRoom(w http.ResponseWriter, r *http.Request, me session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[id.RoomID(r.PathValue("room"))]
	switch s.membership(rm, me.user) {
	case "join":
	case "invite":
		s.join(rm, me.user)
	default:
		fail(w, 403, "M_FORBIDDEN", "not invited")
		return
	}
	reply(w, 200, map[string]any{"room_id": rm.id})
}

func (s *Server) leave(w http.ResponseWriter, r *http.Request, me session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rm := s.rooms[id.RoomID(r.PathValue("room"))]
	if s.membership(rm, me.user) == "" {
		fail(w, 403, "M_FORBIDDEN", "not in the room")
		return
	}
	s.add(rm, me.user, event.StateMember.Type, ptr(me.user.String()), map[string]any{"membership": "leave"})
	reply(w, 200, map[string]any{})
}

func (s *Server) stateEvent(w http.ResponseWriter, r *http.Request, _ session, rm *room) {
	ev := rm.state[key(r.PathValue("type"), r.PathValue("key"))]
	if ev == nil {
		fail(w, 404, "M_NOT_FOUND", "no such state event")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(ev.Content.VeryRaw)
}

// messages pages through a room's timeline; a token "t<i>" is a timeline index.
func (s *Server) messages(w http.ResponseWriter, r *http.Request, _ session, rm *room) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 10
	}
	var f mautrix.FilterPart
	if raw := q.Get("filter"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			fail(w, 400, "M_BAD_JSON", "filter: "+err.Error())
			return
		}
	}
	pos := len(rm.timeline)
	if from := q.Get("from"); from != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(from, "t"))
		if err != nil || n < 0 || n > len(rm.timeline) {
			fail(w, 400, "M_INVALID_PARAM", "bad from token "+from)
			return
		}
		pos = n
	} else if q.Get("dir") == "f" {
		pos = 0
	}
	// to may be a sync token ("s<n>", as /sync's prev_batch pairs with since): stop at it.
	stop := -1
	if to := q.Get("to"); strings.HasPrefix(to, "s") {
		n, err := strconv.Atoi(to[1:])
		if err != nil {
			fail(w, 400, "M_INVALID_PARAM", "bad to token "+to)
			return
		}
		stop = n
	} else if to != "" {
		fail(w, 400, "M_INVALID_PARAM", "matrixtest takes only sync tokens as to: "+to)
		return
	}
	resp := mautrix.RespMessages{Start: "t" + strconv.Itoa(pos), Chunk: []*event.Event{}}
	switch q.Get("dir") {
	case "b":
		i := pos - 1
		for ; i >= 0 && len(resp.Chunk) < limit && s.pos[rm.timeline[i].ID] > stop; i-- {
			if allowed(&f, rm.timeline[i].Type.Type) {
				resp.Chunk = append(resp.Chunk, rm.timeline[i])
			}
		}
		if i >= 0 && s.pos[rm.timeline[i].ID] > stop {
			resp.End = "t" + strconv.Itoa(i+1)
		}
	case "f":
		i := pos
		for ; i < len(rm.timeline) && len(resp.Chunk) < limit; i++ {
			if allowed(&f, rm.timeline[i].Type.Type) {
				resp.Chunk = append(resp.Chunk, rm.timeline[i])
			}
		}
		if i < len(rm.timeline) {
			resp.End = "t" + strconv.Itoa(i)
		}
	default:
		fail(w, 400, "M_INVALID_PARAM", "dir must be b or f")
		return
	}
	reply(w, 200, resp)
}

func (s *Server) context(w http.ResponseWriter, r *http.Request, _ session, rm *room) {
	i := slices.IndexFunc(rm.timeline, func(ev *event.Event) bool { return ev.ID.String() == r.PathValue("event") })
	if i < 0 {
		fail(w, 404, "M_NOT_FOUND", "no such event")
		return
	}
	reply(w, 200, mautrix.RespContext{
		Event: rm.timeline[i], Start: "t" + strconv.Itoa(i), End: "t" + strconv.Itoa(i+1),
		EventsBefore: []*event.Event{}, EventsAfter: []*event.Event{},
	})
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, _ session, rm *room) {
	for _, ev := range rm.timeline {
		if ev.ID.String() == r.PathValue("event") {
			reply(w, 200, ev)
			return
		}
	}
	fail(w, 404, "M_NOT_FOUND", "no such event")
}

func (s *Server) relations(w http.ResponseWriter, r *http.Request, _ session, rm *room) {
	root, rel := r.PathValue("event"), r.PathValue("rel")
	resp := mautrix.RespGetRelations{Chunk: []*event.Event{}}
	for _, ev := range rm.timeline {
		var c struct {
			Rel *event.RelatesTo `json:"m.relates_to"`
		}
		_ = json.Unmarshal(ev.Content.VeryRaw, &c)
		if c.Rel != nil && string(c.Rel.Type) == rel && c.Rel.EventID.String() == root {
			resp.Chunk = append(resp.Chunk, ev)
		}
	}
	if r.URL.Query().Get("dir") != "f" {
		slices.Reverse(resp.Chunk)
	}
	reply(w, 200, resp)
}

func (s *Server) displayName(w http.ResponseWriter, r *http.Request, _ session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := s.names[id.UserID(r.PathValue("user"))]
	if !ok {
		fail(w, 404, "M_NOT_FOUND", "no such user")
		return
	}
	reply(w, 200, map[string]any{"displayname": name})
}

func (s *Server) joinedRooms(w http.ResponseWriter, _ *http.Request, me session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rooms := []id.RoomID{}
	for _, r := range s.rooms {
		if s.membership(r, me.user) == "join" {
			rooms = append(rooms, r.id)
		}
	}
	slices.Sort(rooms)
	reply(w, 200, map[string]any{"joined_rooms": rooms})
}
