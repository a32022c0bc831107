package matrix

import (
	"net/http"
	"strings"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Config is the matrix section of the configuration.
type Config struct {
	// Homeserver is the client-server API base, e.g. "https://matrix.example.org" (what the
	// server's /.well-known/matrix/client names); empty means https:// and the user id's server.
	Homeserver string `yaml:"homeserver"`
	// UserID is the bot account, e.g. "@discourse:example.org".
	UserID string `yaml:"user_id"`
	// AccessToken is the bot account's access token. It is a secret: never logged.
	AccessToken     string `yaml:"access_token" secret:"true"`
	AccessTokenFile string `yaml:"access_token_file"`
	// DeviceID is the device a password login claims, so that every restart is the same device;
	// empty lets the server pick one, which the bot then keeps in its store.
	DeviceID string `yaml:"device_id"`
	// Password logs in once when there is no access token; the token the server gives is kept in
	// the store and used from then on.
	Password     string `yaml:"password" secret:"true"`
	PasswordFile string `yaml:"password_file"`
	// InviteFrom restricts who may invite the bot into a room: full user ids ("@admin:example.org")
	// or whole servers (":example.org"). Empty accepts every invitation.
	InviteFrom []string `yaml:"invite_from"`
	// CryptoStore turns on end-to-end encryption: the SQLite file where the bot's Olm account,
	// sessions and device lists live (needs a binary built with -tags goolm). Empty: encrypted
	// rooms are refused.
	CryptoStore string `yaml:"crypto_store"`

	// SyncTimeout is how long one /sync waits on the server; 0 means DefaultSyncTimeout.
	SyncTimeout time.Duration `yaml:"-"`
	// HTTPClient makes the requests; nil means a client with a timeout above SyncTimeout.
	HTTPClient *http.Client `yaml:"-"`
	// MinBackoff is the first reconnect delay; 0 means one second (tests shorten it).
	MinBackoff time.Duration `yaml:"-"`
	// Limits overrides DefaultLimits (tests lift them); nil means the homeservers' defaults.
	Limits *Limits `yaml:"-"`
}

// Platform describes the Matrix platform to the registry in cmd/discourse-chatbot.
var Platform = adapters.Describe(adapters.Spec[Config]{
	Name:      PlatformName,
	Title:     "Matrix",
	Abilities: adapters.Abilities{History: true},
	Defaults:  defaults,
	Validate:  validate,
	New: func(c *Config, deps adapters.Deps) (adapters.Adapter, error) {
		return New(*c, deps)
	},
})

// defaults derives the homeserver from the user id's server when the file names none.
func defaults(c *Config, present func(string) bool) {
	if strings.TrimSpace(c.Homeserver) == "" && !present("homeserver") {
		if uid := id.UserID(strings.TrimSpace(c.UserID)); uid != "" {
			if _, server, err := uid.Parse(); err == nil && server != "" {
				c.Homeserver = "https://" + server
			}
		}
	}
}

// validate reports every bad value of the section.
func validate(c *Config, p adapters.Problems) {
	if _, ok := adapters.WebURL(strings.TrimSpace(c.Homeserver)); !ok {
		p.Add("homeserver", "%q: want the homeserver's client API base URL, e.g. https://matrix.example.org", c.Homeserver)
	}
	if _, _, err := id.UserID(strings.TrimSpace(c.UserID)).Parse(); err != nil || !strings.HasPrefix(strings.TrimSpace(c.UserID), "@") {
		p.Add("user_id", "%q: want the bot's full user id, e.g. @discourse:example.org", c.UserID)
	}
	hasToken := strings.TrimSpace(c.AccessToken) != "" || strings.TrimSpace(c.AccessTokenFile) != ""
	hasPassword := c.Password != "" || strings.TrimSpace(c.PasswordFile) != ""
	if !hasToken && !hasPassword {
		p.Add("access_token", "is empty: give the bot account's access token (or password, for a login the bot does once)")
	}
	if strings.TrimSpace(c.CryptoStore) != "" && !cryptoBuilt {
		p.Add("crypto_store", "this binary was built without encryption support: build it with -tags goolm, or remove crypto_store")
	}
	for i, who := range c.InviteFrom {
		if !validInviter(who) {
			p.Add("invite_from", "entry %d %q: want a user id (@admin:example.org) or a server (:example.org)", i+1, who)
		}
	}
}

// validInviter reports whether s is "@user:server" or ":server".
func validInviter(s string) bool {
	s = strings.TrimSpace(s)
	if server, ok := strings.CutPrefix(s, ":"); ok {
		return server != "" && !strings.ContainsAny(server, " /@")
	}
	local, server, err := id.UserID(s).Parse()
	return err == nil && strings.HasPrefix(s, "@") && local != "" && server != ""
}

// mayInvite reports whether the invite_from list lets user invite the bot.
func mayInvite(list []string, user id.UserID) bool {
	if len(list) == 0 {
		return true
	}
	_, server, _ := user.Parse()
	for _, who := range list {
		who = strings.TrimSpace(who)
		if s, ok := strings.CutPrefix(who, ":"); ok {
			if strings.EqualFold(s, server) {
				return true
			}
		} else if id.UserID(who) == user {
			return true
		}
	}
	return false
}
