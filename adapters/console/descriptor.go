package console

import (
	"os"

	"github.com/discourse-chatbot/discourse-chatbot/adapters"
)

// Section is the `console:` config section: it has no keys.
type Section struct{}

// Platform describes the console chat to the registry.
var Platform = adapters.Describe(adapters.Spec[Section]{
	Name: "console", Title: "the console",
	New: func(_ *Section, d adapters.Deps) (adapters.Adapter, error) {
		in, out := d.Stdin, d.Stdout
		if in == nil {
			in = os.Stdin
		}
		if out == nil {
			out = os.Stdout
		}
		return New(in, out, d.Logger.With("platform", "console")), nil
	},
})
