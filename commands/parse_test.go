package commands

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/discourse-chatbot/discourse-chatbot/state"
)

func TestParse(t *testing.T) {
	rule := func(f state.Filter, cat string, tags ...string) Parsed {
		return Parsed{Kind: KindRule, Rule: RuleSpec{Filter: f, Category: cat, Tags: tags}}
	}
	post := func(r PostRequest) Parsed { return Parsed{Kind: KindPost, Post: r} }
	tests := []struct {
		in   string
		want Parsed
	}{
		{"", Parsed{Kind: KindHelp}},
		{"   \t ", Parsed{Kind: KindHelp}},
		{"help", Parsed{Kind: KindHelp}},
		{"HELP watch", Parsed{Kind: KindHelp}},
		{"/discourse", Parsed{Kind: KindHelp}},
		{"status", Parsed{Kind: KindStatus}},
		{"/discourse status", Parsed{Kind: KindStatus}},
		{"/Discourse@forum_bot   Status", Parsed{Kind: KindStatus}},
		{"/status@forum_bot", Parsed{Kind: KindStatus}},
		{"test", Parsed{Kind: KindTest}},

		{"watch support", rule(state.Watch, "support")},
		{"Watch SUPPORT", rule(state.Watch, "support")},
		{"follow support/bugs", rule(state.Follow, "support/bugs")},
		{"mute #support", rule(state.Mute, "support")},
		{"thread support\ttag:bug", rule(state.Thread, "support", "bug")},
		{"watch support tag:Crash tag:bug", rule(state.Watch, "support", "bug", "crash")},
		{"watch support tag:crash,bug tag:bug", rule(state.Watch, "support", "bug", "crash")},
		{"watch tag:release", rule(state.Watch, "", "release")},
		{"tag_added support tag:Security", rule(state.TagAdded, "support", "security")},
		{"tag_added tag:security,cve", rule(state.TagAdded, "", "cve", "security")},
		{"/tag_added@forum_bot", rule(state.TagAdded, "")}, // any tag gained, in every category
		{"watch", rule(state.Watch, "")},                   // all categories, as "rules add" and seed rules say it
		{"thread", rule(state.Thread, "")},
		{"/watch@forum_bot tag:release", rule(state.Watch, "", "release")},
		{"watch  \n support", rule(state.Watch, "support")},
		{"watch group:Staff", Parsed{Kind: KindRule, Rule: RuleSpec{Filter: state.Watch, Group: "staff"}}},
		{"mute mention:@devs", Parsed{Kind: KindRule, Rule: RuleSpec{Filter: state.Mute, Mention: "devs"}}},
		{"follow MENTION:devs", Parsed{Kind: KindRule, Rule: RuleSpec{Filter: state.Follow, Mention: "devs"}}},

		{"remove 1", Parsed{Kind: KindRemove, Index: 1}},
		{"remove #12", Parsed{Kind: KindRemove, Index: 12}},

		{"post", post(PostRequest{})},
		{"post 30", post(PostRequest{Count: 30})},
		{"post https://chat.example/archives/C1/p123", post(PostRequest{FromLink: "https://chat.example/archives/C1/p123"})},
		{"post <https://Chat.example/x|link>", post(PostRequest{FromLink: "https://Chat.example/x"})},
		{"post thread", post(PostRequest{Thread: true})},
		{"POST THREAD https://t.me/c/1/2", post(PostRequest{Thread: true, ThreadLink: "https://t.me/c/1/2"})},
		{"post 30 to https://forum.example/t/hello/42", post(PostRequest{Count: 30, ToTopic: "https://forum.example/t/hello/42"})},
		{"post thread to https://forum.example/t/x/1", post(PostRequest{Thread: true, ToTopic: "https://forum.example/t/x/1"})},
		{"post to https://forum.example/t/x/1", post(PostRequest{ToTopic: "https://forum.example/t/x/1"})},
		{"post 10 Deploy went wrong", post(PostRequest{Count: 10, Title: "Deploy went wrong"})},
		{`post 10 "How to deploy"`, post(PostRequest{Count: 10, Title: "How to deploy"})},
		{"post how to deploy", post(PostRequest{Title: "how to deploy"})},
		{"post 10 category:support/ops Deploy notes", post(PostRequest{Count: 10, Category: "support/ops", Title: "Deploy notes"})},
		{"post range 11 19 confirm Category:Support", post(PostRequest{First: "11", Last: "19", Confirm: true, Category: "Support"})},
		{`post range 11 19 confirm "Logs go to"`, post(PostRequest{First: "11", Last: "19", Confirm: true, Title: "Logs go to"})},
		{"post range 1700.1 1700.9", post(PostRequest{First: "1700.1", Last: "1700.9"})},
		{"post range 11 19 confirm to https://forum.example/t/x/1", post(PostRequest{First: "11", Last: "19", Confirm: true, ToTopic: "https://forum.example/t/x/1"})},
		{"post 30 confirm Deploy notes", post(PostRequest{Count: 30, Confirm: true, Title: "Deploy notes"})},
		{"post range 11 19 thread 10 confirm", post(PostRequest{First: "11", Last: "19", Thread: true, ThreadRef: "10", Confirm: true})},
		{"post range 11 19 thread https://chat/x/10", post(PostRequest{First: "11", Last: "19", Thread: true, ThreadLink: "https://chat/x/10"})},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, reason string // reason: a part of the one-line reason
	}{
		{"/discourse frobnicate", `Unknown command "frobnicate".`},
		{"x", `Unknown command "x".`},
		{"status now", `"status" takes no arguments`},
		{"test me", `"test" takes no arguments`},
		{"wtch support", `Unknown command "wtch": did you mean watch?`},
		{"stats", `Unknown command "stats": did you mean status?`},
		{"tag:bug", `Unknown command "tag:bug": did you mean watch tag:bug?`},
		{"watch support bugs", `Unexpected "bugs"`},
		{"watch tag:bug support", `Unexpected "support"`},
		{"watch support tag:", "Empty tag name"},
		{"watch support tag:bug,", "Empty tag name"},
		{"watch #", `"#" is not a category`},
		{"watch a/b/c/d", ""},
		{"watch group:", `"group:" needs a group name`},
		{"watch mention:", `"mention:" needs a group name`},
		{"watch group:staff tag:bug", `A group rule takes nothing else, but got "tag:bug"`},
		{"watch mention:devs support", `A mention rule takes nothing else`},
		{"thread group:staff", "A group rule cannot be a thread rule"},
		{"tag_added group:staff", "A group rule cannot be a tag_added rule"},
		{"thread mention:devs", "A mention rule cannot be a thread rule"},
		{"remove", `"remove" needs the number of a rule`},
		{"remove one", `"one" is not a rule number`},
		{"remove 0", `"0" is not a rule number`},
		{"remove -1", `"-1" is not a rule number`},
		{"remove 1.5", `"1.5" is not a rule number`},
		{"remove 99999999999999999999", "is not a rule number"},
		{"remove 1 2", `Unexpected "2"`},
		{"post 0", `"0" is not a message count`},
		{"post -3", `"-3" is not a message count`},
		{"post 10001", `"10001" is not a message count`},
		{"post thread 5", `"post thread" takes a message link, not a count`},
		{"post range 5", `"post range" takes the first and the last message's ids`},
		{"post 5 to", `"to" needs the URL of a forum topic`},
		{"post 5 to https://f/t/1 to https://f/t/2", `Only one "to <topic url>"`},
		{"post 5 My title to https://f/t/1", "takes no title"},
		{"post 5 category: notes", "Empty category"},
		{"post 5 category:a category:b", "Only one category"},
		{"post 5 category:support to https://f/t/1", "leave category: out"},
		// A link that cannot be the range is refused, never taken as the title.
		{"post 5 https://t.me/c/1/2", "looks like a link"},
		{"post t.me/c/1/2", "looks like a link"},
		{"post discord.com/channels/1/2/3", "looks like a link"},
		{"post ftp://files.example/x", "looks like a link"},
		{"post www.example.org", "looks like a link"},
		{"post thread https://x.example/1 https://x.example/2", "looks like a link"},
		{"post 3 Notes <https://x.example|link>", "looks like a link"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.reason == "" { // deep category paths are the catalogue's to judge
				if err != nil || got.Kind != KindRule {
					t.Fatalf("Parse(%q) = %+v, %v; want a rule", tt.in, got, err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %+v, %v; want a *SyntaxError", tt.in, got, err)
			}
			if !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("Parse(%q) reason %q, want it to contain %q", tt.in, se.Reason, tt.reason)
			}
			if strings.Contains(se.Reason, "\n") {
				t.Errorf("Parse(%q) reason %q spans several lines", tt.in, se.Reason)
			}
		})
	}
}
