package fakehttp

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

func TestUnhandledKeepsEveryRecordInOrder(t *testing.T) {
	var u Unhandled
	if l := u.List(); l != nil {
		t.Fatalf("a new Unhandled lists %q, want nothing", l)
	}
	u.Add("GET /a")
	u.Addf("%s %s: %d", "POST", "/b", 400)
	want := []string{"GET /a", "POST /b: 400"}
	got := u.List()
	if !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
	got[0] = "changed"
	if u.List()[0] != "GET /a" {
		t.Error("changing List's answer changed the record")
	}
}

// TestUnhandledConcurrent: records from many goroutines all arrive, and -race finds no race
// between them and List.
func TestUnhandledConcurrent(t *testing.T) {
	var u Unhandled
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			u.Addf("request %d", i)
			_ = u.List()
		})
	}
	wg.Wait()
	got := u.List()
	slices.Sort(got)
	for i := range 20 {
		if _, ok := slices.BinarySearch(got, fmt.Sprintf("request %d", i)); !ok {
			t.Errorf("request %d is missing from %q", i, got)
		}
	}
}

func TestCounterCountsByKeyAndInAll(t *testing.T) {
	var c Counter
	if c.Count("a") != 0 || c.Total() != 0 {
		t.Fatalf("a new Counter counts %d a, %d in all; want 0", c.Count("a"), c.Total())
	}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() { c.Add([]string{"a", "b", "c"}[i%3]) })
	}
	wg.Wait()
	c.Add("a")
	if c.Count("a") != 11 || c.Count("b") != 10 || c.Count("z") != 0 || c.Total() != 31 {
		t.Errorf("counted a %d, b %d, z %d, %d in all; want 11, 10, 0, 31", c.Count("a"), c.Count("b"), c.Count("z"), c.Total())
	}
}

func TestArmedIsTakenOncePerCallOldestFirst(t *testing.T) {
	var a Armed[string]
	if v, ok := a.Take(); ok {
		t.Fatalf("a new Armed gave %q, want nothing", v)
	}
	a.Arm("429")
	a.ArmN(2, "500")
	a.ArmN(0, "never")
	var got []string
	for {
		v, ok := a.Take()
		if !ok {
			break
		}
		got = append(got, v)
	}
	if want := []string{"429", "500", "500"}; !slices.Equal(got, want) {
		t.Errorf("took %q, want %q and then nothing", got, want)
	}
}

// TestArmedConcurrent: of faults armed and taken from many goroutines, each is taken exactly
// once, and -race finds no race.
func TestArmedConcurrent(t *testing.T) {
	var a Armed[int]
	var mu sync.Mutex
	var taken []int
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			a.Arm(i)
			if v, ok := a.Take(); ok {
				mu.Lock()
				taken = append(taken, v)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for v, ok := a.Take(); ok; v, ok = a.Take() {
		taken = append(taken, v)
	}
	slices.Sort(taken)
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}; !slices.Equal(taken, want) {
		t.Errorf("taken %v, want each of 0…19 once", taken)
	}
}

// TestUpgradeAcceptsAnyOrigin: a handshake from a page of another origin is upgraded (a bare
// websocket.Upgrader refuses it), and the connection carries messages.
func TestUpgradeAcceptsAnyOrigin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte("hello"))
	}))
	defer srv.Close()
	hdr := http.Header{"Origin": {"https://elsewhere.example"}}
	c, resp, err := websocket.DefaultDialer.DialContext(t.Context(), "ws"+strings.TrimPrefix(srv.URL, "http"), hdr)
	if err != nil {
		t.Fatalf("dial from another origin: %v (%v)", err, resp)
	}
	defer c.Close()
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "hello" {
		t.Errorf("read %q, %v; want hello", msg, err)
	}
}

type brokenBody struct{}

func (brokenBody) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBody(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 2<<20)))
	if body, err := ReadBody(r); err != nil || len(body) != 1<<20 {
		t.Errorf("read %d bytes, %v; want the first MiB", len(body), err)
	}
	r = httptest.NewRequest("POST", "/", brokenBody{})
	if _, err := ReadBody(r); !errors.Is(err, ErrClientGone) {
		t.Errorf("a body that breaks off gave %v, want ErrClientGone", err)
	}
}

func TestJSONParamsFlattensMembers(t *testing.T) {
	got, err := JSONParams([]byte(`{"text":"hi","n":3,"ok":true,"blocks":[{"type":"section"}],"none":null}`))
	want := map[string]string{"text": "hi", "n": "3", "ok": "true", "blocks": `[{"type":"section"}]`, "none": "null"}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("JSONParams = %q, %v; want %q", got, err, want)
	}
	for _, body := range []string{`[1]`, `{"text":`, `"hi"`} {
		if _, err := JSONParams([]byte(body)); err == nil {
			t.Errorf("JSONParams(%s) gave no error, want one: it is not a JSON object", body)
		}
	}
}
