package provision

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/pkg/sftp"
)

// Upload copies a local file to the remote path, or a local folder's
// contents into the remote folder (created with its parents), keeping
// permission bits. The remote side must be writable by the login user.
func (c *Client) Upload(ctx context.Context, local, remote string) error {
	sc, err := c.SFTP()
	if err != nil {
		return err
	}
	info, err := os.Stat(local)
	if err != nil {
		return fmt.Errorf("uploading to node %s: %w", c.target.Node, err)
	}
	if !info.IsDir() {
		err = uploadFile(sc, local, remote, info.Mode())
	} else {
		err = uploadTree(ctx, sc, local, remote)
	}
	if err != nil {
		return fmt.Errorf("uploading %s to node %s:%s: %w", local, c.target.Node, remote, err)
	}
	return nil
}

func uploadTree(ctx context.Context, sc *sftp.Client, local, remote string) error {
	return filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(local, p)
		if err != nil {
			return err
		}
		dst := path.Join(remote, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := sc.MkdirAll(dst); err != nil {
				return fmt.Errorf("creating %s: %w", dst, err)
			}
			return sc.Chmod(dst, fileMode(info.Mode()))
		case info.Mode().IsRegular():
			return uploadFile(sc, p, dst, info.Mode())
		default:
			return notCopyable(p, info.Mode())
		}
	})
}

func uploadFile(sc *sftp.Client, local, remote string, mode os.FileMode) error {
	src, err := os.Open(local)
	if err != nil {
		return err
	}
	defer src.Close()
	return writeRemote(sc, remote, src, mode)
}

func writeRemote(sc *sftp.Client, remote string, r io.Reader, mode os.FileMode) error {
	if dir := path.Dir(remote); dir != "." && dir != "/" {
		if err := sc.MkdirAll(dir); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	dst, err := sc.OpenFile(remote, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("creating %s: %w", remote, err)
	}
	if _, err := dst.ReadFrom(r); err != nil {
		dst.Close()
		return fmt.Errorf("writing %s: %w", remote, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", remote, err)
	}
	// Chmod after writing: the umask may have narrowed the create mode.
	return sc.Chmod(remote, fileMode(mode))
}

// WriteFile writes data to the remote path with the given mode.
func (c *Client) WriteFile(ctx context.Context, remote string, data []byte,
	mode os.FileMode) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sc, err := c.SFTP()
	if err != nil {
		return err
	}
	if err := writeRemote(sc, remote, bytes.NewReader(data), mode); err != nil {
		return fmt.Errorf("writing node %s:%s: %w", c.target.Node, remote, err)
	}
	return nil
}
