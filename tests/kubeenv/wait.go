package kubeenv

import (
	"context"
	"fmt"
	"time"
)

// poll calls cond every interval until it reports done, returns an error, or
// timeout passes (or ctx ends), so its number of attempts is bounded too. On timeout the error says what was awaited and the last
// state cond described.
func poll(ctx context.Context, what string, timeout, interval time.Duration, cond func(context.Context) (done bool, state string, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var state string
	for {
		done, s, err := cond(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if done {
			return nil
		}
		state = s
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: gave up after %s (last: %s)", what, timeout, state)
		case <-tick.C:
		}
	}
}
