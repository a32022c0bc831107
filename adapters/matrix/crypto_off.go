//go:build !goolm

package matrix

import (
	"context"
	"errors"
)

// cryptoBuilt is false: this binary was built without the goolm tag, so it has no Olm.
const cryptoBuilt = false

func newE2EE(context.Context, *Adapter) (e2ee, error) {
	return nil, errors.New("this binary was built without encryption support (build it with -tags goolm)")
}
