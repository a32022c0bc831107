package discordtest

import "encoding/json"

// The JSON shapes of Discord's API objects, as far as the fake serves them.
// https://discord.com/developers/docs/resources

// User is a Discord user object.
type User struct {
	ID            string  `json:"id"`
	Username      string  `json:"username"`
	GlobalName    string  `json:"global_name,omitempty"`
	Discriminator string  `json:"discriminator"`
	Avatar        *string `json:"avatar"`
	Bot           bool    `json:"bot,omitempty"`
}

// Attachment is a file attached to a message.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	Size        int    `json:"size"`
	URL         string `json:"url"`
	ProxyURL    string `json:"proxy_url"`
	ContentType string `json:"content_type,omitempty"`
}

// EmbedAuthor is an embed's author line.
type EmbedAuthor struct {
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	IconURL string `json:"icon_url,omitempty"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text    string `json:"text"`
	IconURL string `json:"icon_url,omitempty"`
}

// EmbedField is one name/value field of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// Embed is a rich embed.
type Embed struct {
	Type        string       `json:"type,omitempty"`
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	URL         string       `json:"url,omitempty"`
	Color       int          `json:"color,omitempty"`
	Timestamp   string       `json:"timestamp,omitempty"`
	Author      *EmbedAuthor `json:"author,omitempty"`
	Footer      *EmbedFooter `json:"footer,omitempty"`
	Fields      []EmbedField `json:"fields,omitempty"`
}

// AllowedMentions is a message's allowed_mentions object.
type AllowedMentions struct {
	Parse []string `json:"parse"`
	Users []string `json:"users,omitempty"`
	Roles []string `json:"roles,omitempty"`
}

// Message is a message as the REST API returns it, plus what the fake records about its sending.
type Message struct {
	ID              string       `json:"id"`
	Type            int          `json:"type"`
	ChannelID       string       `json:"channel_id"`
	Author          User         `json:"author"`
	Content         string       `json:"content"`
	Timestamp       string       `json:"timestamp"`
	EditedTimestamp *string      `json:"edited_timestamp"`
	TTS             bool         `json:"tts"`
	MentionEveryone bool         `json:"mention_everyone"`
	Mentions        []User       `json:"mentions"`
	MentionRoles    []string     `json:"mention_roles"`
	Attachments     []Attachment `json:"attachments"`
	Embeds          []Embed      `json:"embeds"`
	Pinned          bool         `json:"pinned"`
	Flags           int          `json:"flags"`
	// Components are the message's action rows of buttons, as last sent or edited by the bot.
	Components []ActionRow `json:"components"`

	// Channel is the chat the message is in: the parent channel for a message in a thread.
	Channel string `json:"-"`
	// Thread is the thread channel id for a message in a thread, else "".
	Thread string `json:"-"`
	// Ephemeral is set for interaction replies only the invoker sees.
	Ephemeral bool `json:"-"`
	// Interaction is the id of the interaction this message answers, if any.
	Interaction string `json:"-"`
	// AllowedMentionsJSON is the allowed_mentions object as the bot sent it ("" when absent).
	AllowedMentionsJSON string `json:"-"`
	// Edits counts the bot's PATCH channels/{id}/messages/{id} on it; Deleted says the bot's
	// DELETE removed it.
	Edits   int  `json:"-"`
	Deleted bool `json:"-"`
}

// Button styles. https://discord.com/developers/docs/components/reference#button-button-styles
const (
	StylePrimary   = 1
	StyleSecondary = 2
	StyleSuccess   = 3
	StyleDanger    = 4
	StyleLink      = 5
)

// Component types the fake accepts: action rows holding buttons.
const (
	ComponentActionRow = 1
	ComponentButton    = 2
)

// ActionRow is a message's row of components (type 1).
type ActionRow struct {
	Type       int      `json:"type"`
	Components []Button `json:"components"`
}

// Button is a button component (type 2).
type Button struct {
	Type     int    `json:"type"`
	Style    int    `json:"style"`
	Label    string `json:"label,omitempty"`
	CustomID string `json:"custom_id,omitempty"`
	URL      string `json:"url,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// Buttons returns the message's buttons, row by row.
func (m Message) Buttons() []Button {
	var out []Button
	for _, r := range m.Components {
		out = append(out, r.Components...)
	}
	return out
}

// cloneRows copies action rows, so callers never share the fake's slices.
func cloneRows(rows []ActionRow) []ActionRow {
	out := make([]ActionRow, len(rows))
	for i, r := range rows {
		out[i] = ActionRow{Type: r.Type, Components: append([]Button{}, r.Components...)}
	}
	return out
}

// Role is a guild role.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Permissions string `json:"permissions"`
	Position    int    `json:"position"`
	Color       int    `json:"color"`
	Hoist       bool   `json:"hoist"`
	Managed     bool   `json:"managed"`
	Mentionable bool   `json:"mentionable"`
}

// Overwrite is a channel permission overwrite.
type Overwrite struct {
	ID    string `json:"id"`
	Type  int    `json:"type"` // 0 role, 1 member
	Allow string `json:"allow"`
	Deny  string `json:"deny"`
}

// Channel is a guild channel or thread.
type Channel struct {
	ID                   string          `json:"id"`
	Type                 int             `json:"type"`
	GuildID              string          `json:"guild_id,omitempty"`
	Name                 string          `json:"name"`
	Position             int             `json:"position"`
	ParentID             string          `json:"parent_id,omitempty"`
	OwnerID              string          `json:"owner_id,omitempty"`
	PermissionOverwrites []Overwrite     `json:"permission_overwrites"`
	ThreadMetadata       json.RawMessage `json:"thread_metadata,omitempty"`
}

// Member is a guild member.
type Member struct {
	User        User     `json:"user"`
	Nick        *string  `json:"nick"`
	Roles       []string `json:"roles"`
	JoinedAt    string   `json:"joined_at"`
	Permissions string   `json:"permissions,omitempty"`
}

// Channel types and permission bits the fake uses.
const (
	channelText         = 0
	channelPublicThread = 11

	permManageChannels        = 1 << 4
	permViewChannel           = 1 << 10
	permSendMessages          = 1 << 11
	permManageMessages        = 1 << 13
	permEmbedLinks            = 1 << 14
	permReadMessageHistory    = 1 << 16
	permUseApplicationCmds    = 1 << 31
	permCreatePublicThreads   = 1 << 35
	permSendMessagesInThreads = 1 << 38
)
