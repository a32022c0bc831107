package telegramtest

import "testing"

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		text     string
		entities int
		wantErr  bool
	}{
		{"plain", "hello", "hello", 0, false},
		{"escapes", "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39; &#x41;", `a <b> & "c" 'd' A`, 0, false},
		{"bold and link", `<b>x</b> <a href="https://e.org/?a=1&amp;b=2">y</a>`, "x y", 2, false},
		{"pre with code language", `<pre><code class="language-go">x</code></pre>`, "x", 2, false},
		{"unknown tag", "<script>x</script>", "", 0, true},
		{"unbalanced", "<b><i>x</b></i>", "", 0, true},
		{"unclosed", "<b>x", "", 0, true},
		{"bare ampersand", "a & b", "", 0, true},
		{"bare angle", "a > b", "", 0, true},
		{"unknown entity", "&nbsp;", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, ents, err := parseHTML(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseHTML(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && (text != tt.text || len(ents) != tt.entities) {
				t.Errorf("parseHTML(%q) = %q with %d entities, want %q with %d", tt.in, text, len(ents), tt.text, tt.entities)
			}
		})
	}
}
