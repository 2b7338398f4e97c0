package photo

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sync/semaphore"
)

// Decoder runs memory-hungry work — decoding photos, annotating workbooks —
// within a memory budget: a piece of work whose cost (in bytes, from its
// header) does not fit in what the work already running leaves of the
// budget waits, and at most a fixed number run at once. The worker has one;
// the API decodes nothing.
type Decoder struct {
	budget int64
	bytes  *semaphore.Weighted
	slots  *semaphore.Weighted
}

// NewDecoder allows work costing budget bytes in all, at most concurrency
// pieces at once.
func NewDecoder(budget int64, concurrency int) *Decoder {
	return &Decoder{budget: budget, bytes: semaphore.NewWeighted(budget), slots: semaphore.NewWeighted(int64(max(concurrency, 1)))}
}

// Budget is the decoder's whole budget: the most one piece of work may cost.
func (d *Decoder) Budget() int64 { return d.budget }

// Acquire waits until work costing cost bytes may start (or ctx ends) and
// returns the function that ends it. Work costing more than the whole
// budget is refused (photo_too_large_to_process).
func (d *Decoder) Acquire(ctx context.Context, cost int64) (release func(), err error) {
	if cost > d.budget {
		return nil, errDecode.Wrap(fmt.Errorf("costs %d bytes, the budget is %d", cost, d.budget))
	}
	cost = max(cost, 1)
	if err := d.slots.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	if err := d.bytes.Acquire(ctx, cost); err != nil {
		d.slots.Release(1)
		return nil, err
	}
	return func() { d.bytes.Release(cost); d.slots.Release(1) }, nil
}

// Derivatives makes a photo's display copy and thumbnail (see Derivatives)
// once its decode cost (Meta.DecodeCost) fits in the budget.
func (d *Decoder) Derivatives(ctx context.Context, f *os.File, cost int64) (display, thumb []byte, err error) {
	release, err := d.Acquire(ctx, cost)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	return Derivatives(f)
}
