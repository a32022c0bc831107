package plumbing

import "net/url"

// escapedForms are the ways a secret shows up in an error: as is, and escaped in a URL's path or
// query (transport errors quote the URL they called).
func escapedForms(secret string) []string {
	forms := []string{secret}
	for _, f := range []string{url.PathEscape(secret), url.QueryEscape(secret)} {
		if f != secret {
			forms = append(forms, f)
		}
	}
	return forms
}
