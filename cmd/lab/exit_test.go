package main

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// No error line shows a sensitive value, whichever layer quoted it.
func TestErrorsHideSensitiveValues(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		want string
	}{
		{"quoted command", fmt.Errorf("node c, step long: %w",
			errors.New(`running "sudo -n env PW=s3cr3tpw sh x": context canceled`)), 1,
			"lab: node c, step long: running \"sudo -n env PW=(sensitive) sh x\": " +
				"context canceled\n"},
		{"joined", errors.Join(errors.New("a s3cr3tpw"), errors.New("b")), 1,
			"lab: a (sensitive)\nlab: b\n"},
		{"exit code kept", &exitErr{code: 2, err: errors.New("c s3cr3tpw")}, 2,
			"lab: c (sensitive)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			a := &app{sensitive: []string{"s3cr3tpw"}}
			if code := exitCode(tt.err, &redactor{w: &out, a: a}); code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if out.String() != tt.want {
				t.Errorf("stderr %q, want %q", out.String(), tt.want)
			}
		})
	}
}
