// Package provision reaches a lab's guests over SSH and prepares them: keys,
// pinned host keys, cloud-init seeds, guest network configuration and the
// shell and file provisioners.
package provision

import (
	"context"
	"io"
	"os"
)

// Guest is a running VM that lab can run commands on and copy files to.
// *Client implements it over SSH; tests use fakes.
type Guest interface {
	// Run runs a shell command line on the guest, streaming its output.
	// It returns the remote exit code; err is only for transport failures.
	// Callers use "sudo -n" for root.
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
	// Upload copies a local file or folder (recursively) to a guest path
	// writable by the login user, keeping file modes.
	Upload(ctx context.Context, local, remote string) error
	// WriteFile writes data to a guest path writable by the login user.
	WriteFile(ctx context.Context, remote string, data []byte, mode os.FileMode) error
	// Close ends the connection.
	Close() error
}
