package v1

import (
	"testing"
	"time"
)

func TestDurationParse(t *testing.T) {
	tests := []struct {
		in      Duration
		want    time.Duration
		wantErr bool
	}{
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "100ms", want: 100 * time.Millisecond},
		{in: "5m", want: 5 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "0s", want: 0},
		{in: "0", want: 0},
		{in: "5 sec", wantErr: true},
		{in: "-1s", wantErr: true},
		{in: "", wantErr: true},
		{in: "10", wantErr: true},
	}
	for _, tt := range tests {
		got, err := tt.in.Parse()
		if (err != nil) != tt.wantErr {
			t.Errorf("Duration(%q).Parse() error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("Duration(%q).Parse() = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDurationOf(t *testing.T) {
	if got := DurationOf(90 * time.Second); got != "1m30s" {
		t.Errorf("DurationOf(90s) = %q", got)
	}
}
