package bootstrap

import (
	"context"
	"testing"
	"time"
)

// A burst of changes is delivered once, as its last value.
func TestDebounceCoalescesBurst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan int)
	got := make(chan int, 10)
	go debounce(ctx, in, DebounceOptions{Quiet: 50 * time.Millisecond, Max: time.Minute}, func(v int) { got <- v })
	for i := 1; i <= 5; i++ {
		in <- i
	}
	if v := <-got; v != 5 {
		t.Fatalf("delivered %d, want the last value 5", v)
	}
	select {
	case v := <-got:
		t.Fatalf("burst delivered twice (second value %d)", v)
	case <-time.After(200 * time.Millisecond):
	}
}

// Continuous changes are still delivered once Max has passed.
func TestDebounceMaxDelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan int)
	got := make(chan int, 10)
	go debounce(ctx, in, DebounceOptions{Quiet: time.Hour, Max: 50 * time.Millisecond}, func(v int) { got <- v })
	stop := time.After(5 * time.Second)
	for i := 0; ; i++ {
		select {
		case v := <-got:
			if v == 0 && i == 0 {
				t.Fatal("delivered before any change")
			}
			return
		case in <- i:
			time.Sleep(5 * time.Millisecond)
		case <-stop:
			t.Fatal("never delivered although Max passed")
		}
	}
}
