package guest

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/kdomanski/iso9660"
)

// inRoot resolves p inside root the way the guest would see it: symlinks
// (absolute or relative) are followed but can never leave root. Missing
// trailing components are kept as they are.
func inRoot(root, p string) (string, error) {
	parts := strings.Split(path.Clean("/"+p), "/")
	cur := "/"
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		next := path.Join(cur, part)
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			cur = next // not a symlink, or missing
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("too many symlinks resolving %s", p)
		}
		if !path.IsAbs(target) {
			target = path.Join(cur, target)
		}
		parts = append(strings.Split(path.Clean(target), "/"), parts...)
		cur = "/"
	}
	return filepath.Join(root, cur), nil
}

// unpackTar unpacks the appliance disk (a tar of the guest root) into root.
func unpackTar(disk, root string) error {
	f, err := os.Open(disk)
	if err != nil {
		return fmt.Errorf("opening disk: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading disk %s: %w", disk, err)
		}
		if err := unpackOne(tr, h, root); err != nil {
			return fmt.Errorf("unpacking %s: %w", h.Name, err)
		}
	}
}

func unpackOne(r io.Reader, h *tar.Header, root string) error {
	dir, err := inRoot(root, path.Dir(path.Clean("/"+h.Name)))
	if err != nil {
		return err
	}
	dst := filepath.Join(dir, path.Base(path.Clean("/"+h.Name)))
	if dst == root || dst == filepath.Clean(root+"/") {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mode := fs.FileMode(h.Mode).Perm() | modeBits(h.Mode)
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
	case tar.TypeSymlink:
		os.Remove(dst)
		return os.Symlink(h.Linkname, dst)
	case tar.TypeReg:
		os.Remove(dst)
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, r); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	default:
		return nil
	}
	if err := os.Lchown(dst, h.Uid, h.Gid); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

// modeBits carries setuid, setgid and sticky from a tar mode.
func modeBits(m int64) fs.FileMode {
	var out fs.FileMode
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// seedDir is where cloud-init's NoCloud source finds a local seed.
const seedDir = "/var/lib/cloud/seed/nocloud"

// extractSeed copies the files of a cidata ISO into the guest's NoCloud
// seed folder. It reports false when the ISO is not labelled cidata.
// Names are what the guest kernel would show: Rock Ridge names when
// present, else the ISO 9660 name lower-cased without its ";1" version.
func extractSeed(isoPath, root string) (bool, error) {
	f, err := os.Open(isoPath)
	if err != nil {
		return false, fmt.Errorf("opening %s: %w", isoPath, err)
	}
	defer f.Close()
	img, err := iso9660.OpenImage(f)
	if err != nil {
		return false, fmt.Errorf("reading ISO %s: %w", isoPath, err)
	}
	label, err := img.Label()
	if err != nil {
		return false, fmt.Errorf("reading ISO label of %s: %w", isoPath, err)
	}
	if !strings.EqualFold(strings.TrimSpace(label), "cidata") {
		return false, nil
	}
	top, err := img.RootDir()
	if err != nil {
		return false, fmt.Errorf("reading ISO %s: %w", isoPath, err)
	}
	dst, err := inRoot(root, seedDir)
	if err != nil {
		return false, err
	}
	if err := os.RemoveAll(dst); err != nil {
		return false, fmt.Errorf("clearing the NoCloud seed: %w", err)
	}
	return true, copyISODir(top, dst)
}

func copyISODir(d *iso9660.File, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	kids, err := d.GetChildren()
	if err != nil {
		return fmt.Errorf("listing ISO folder: %w", err)
	}
	for _, k := range kids {
		name := isoName(k)
		if name == "" || strings.Contains(name, "/") {
			continue
		}
		p := filepath.Join(dst, name)
		if k.IsDir() {
			if err := copyISODir(k, p); err != nil {
				return err
			}
			continue
		}
		data, err := io.ReadAll(k.Reader())
		if err != nil {
			return fmt.Errorf("reading %s from the ISO: %w", name, err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("writing seed file: %w", err)
		}
	}
	return nil
}

func isoName(f *iso9660.File) string {
	n := f.Name()
	if n != strings.ToUpper(n) { // Rock Ridge names keep their case
		return n
	}
	n, _, _ = strings.Cut(n, ";")
	return strings.TrimSuffix(strings.ToLower(n), ".")
}

// ensureHostKeys gives the guest its own SSH host keys on first boot.
func ensureHostKeys(root string) error {
	sshDir, err := inRoot(root, "/etc/ssh")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(sshDir, 0o755); err != nil {
		return fmt.Errorf("creating guest /etc/ssh: %w", err)
	}
	out, err := exec.Command("ssh-keygen", "-A", "-f", root).CombinedOutput()
	if err != nil {
		return fmt.Errorf("generating guest host keys: %w: %s", err, out)
	}
	return nil
}
