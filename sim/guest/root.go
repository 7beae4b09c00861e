package guest

import (
	"archive/tar"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/labtool/lab/sim/vboxstate"
)

// prepareRoot returns the guest root, unpacked from the machine's disk on
// first boot, with the cidata seed of an attached ISO and SSH host keys.
func (v *VM) prepareRoot(m *vboxstate.Machine) (string, error) {
	dir := v.Names.VMDir(v.UUID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating VM folder: %w", err)
	}
	root := m.GuestRoot
	if root == "" {
		root = filepath.Join(dir, "root")
	}
	if err := v.unpackOnce(m, root); err != nil {
		return "", err
	}
	for _, iso := range mediaOf(m, "dvddrive") {
		ok, err := extractSeed(iso, root)
		if err != nil {
			return "", err
		}
		if ok {
			log.Printf("cloud-init seed from %s", iso)
		}
	}
	if err := ensureHostKeys(root); err != nil {
		return "", err
	}
	if m.GuestRoot != root {
		return root, v.Store.Update(func(w *vboxstate.World) error {
			if wm := w.Machine(v.UUID); wm != nil {
				wm.GuestRoot = root
			}
			return nil
		})
	}
	return root, nil
}

// unpackOnce fills root from the machine's boot disk unless it was
// unpacked before (marked by a file in the VM folder, outside the
// guest's view).
func (v *VM) unpackOnce(m *vboxstate.Machine, root string) error {
	mark := filepath.Join(v.Names.VMDir(v.UUID), "unpacked")
	if _, err := os.Stat(mark); err == nil {
		if _, err := os.Stat(root); err == nil {
			return nil
		}
	}
	disk, err := bootDisk(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("creating guest root: %w", err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return fmt.Errorf("setting guest root mode: %w", err)
	}
	log.Printf("unpacking %s into %s", disk, root)
	if err := unpackTar(disk, root); err != nil {
		return err
	}
	return os.WriteFile(mark, []byte(disk+"\n"), 0o644)
}

// bootDisk is the first hdd holding a guest root tar: the medium itself,
// or for a linked clone's differencing disk, its base medium.
func bootDisk(m *vboxstate.Machine) (string, error) {
	for _, c := range m.Storage {
		for _, a := range c.Attachments {
			if a.Type != "hdd" {
				continue
			}
			for _, p := range []string{a.Medium, a.Parent} {
				if p != "" && isTar(p) {
					return p, nil
				}
			}
		}
	}
	return "", errors.New("no bootable medium found: no hard disk holds a guest root")
}

func isTar(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = tar.NewReader(f).Next()
	return err == nil
}

// mediaOf lists the machine's attached media of one type.
func mediaOf(m *vboxstate.Machine, typ string) []string {
	var out []string
	for _, c := range m.Storage {
		for _, a := range c.Attachments {
			if a.Type == typ && a.Medium != "" && a.Medium != "emptydrive" {
				out = append(out, a.Medium)
			}
		}
	}
	return out
}
