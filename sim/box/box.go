package box

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// File names inside the box, as in Vagrant's ubuntu/jammy64.
const (
	DiskName = "box-disk1.vmdk"
	OVFName  = "box.ovf"
	OVAName  = "box.ova"
	// VagrantBox is the installed box's folder name under boxes/.
	VagrantBox = "ubuntu-VAGRANTSLASH-jammy64"
)

// Options say what to build from where.
type Options struct {
	Out         string // output folder
	GuestBin    string // the guest command binary (bin/sim/guest)
	Busybox     string // a static busybox (Debian's busybox-static)
	VagrantHome string // when set, also install the box here
}

// epoch dates every skeleton entry, so builds are reproducible.
var epoch = time.Date(2023, 10, 26, 0, 0, 0, 0, time.UTC)

// Build writes the disk, box.ovf, metadata.json, Vagrantfile and box.ova
// into opts.Out, and installs the Vagrant box when asked.
func Build(opts Options) error {
	if !fileExists(opts.GuestBin) {
		return fmt.Errorf("guest command binary %s not found (build bin/sim/guest first)",
			opts.GuestBin)
	}
	es, err := skeleton(opts.GuestBin, opts.Busybox)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return fmt.Errorf("creating box folder: %w", err)
	}
	disk := filepath.Join(opts.Out, DiskName)
	if err := writeDisk(disk, es); err != nil {
		return err
	}
	st, err := os.Stat(disk)
	if err != nil {
		return fmt.Errorf("reading disk size: %w", err)
	}
	ovf := OVF(st.Size())
	small := map[string]string{
		OVFName:         ovf,
		"metadata.json": "{\"provider\":\"virtualbox\"}\n",
		"Vagrantfile":   vagrantfile,
	}
	for name, text := range small {
		if err := os.WriteFile(filepath.Join(opts.Out, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	if err := writeOVA(filepath.Join(opts.Out, OVAName), ovf, disk); err != nil {
		return err
	}
	if opts.VagrantHome != "" {
		return installVagrant(opts.Out, opts.VagrantHome)
	}
	return nil
}

// writeDisk packs the skeleton as a tar owned by root.
func writeDisk(path string, es []entry) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating disk: %w", err)
	}
	tw := tar.NewWriter(f)
	for _, e := range es {
		if err := writeEntry(tw, e); err != nil {
			f.Close()
			return fmt.Errorf("packing %s: %w", e.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("finishing disk: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing disk: %w", err)
	}
	return nil
}

func writeEntry(tw *tar.Writer, e entry) error {
	h := &tar.Header{Name: e.path, Mode: e.mode, Gid: e.gid, ModTime: epoch,
		Uname: "root", Gname: "root", Format: tar.FormatPAX}
	switch {
	case e.dir:
		h.Typeflag, h.Name = tar.TypeDir, e.path+"/"
	case e.link != "":
		h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.link, 0o777
	default:
		h.Typeflag = tar.TypeReg
	}
	if e.gid == 42 {
		h.Gname = "shadow"
	}
	data := e.data
	if e.source != "" {
		b, err := os.ReadFile(e.source)
		if err != nil {
			return err
		}
		data = b
	}
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(data))
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// writeOVA writes the OVF first and then the disk, as OVF 1.0 requires.
func writeOVA(path, ovf, disk string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating OVA: %w", err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	hdr := &tar.Header{Name: OVFName, Mode: 0o644, Size: int64(len(ovf)), ModTime: epoch,
		Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing OVA: %w", err)
	}
	if _, err := io.WriteString(tw, ovf); err != nil {
		return fmt.Errorf("writing OVA: %w", err)
	}
	d, err := os.Open(disk)
	if err != nil {
		return fmt.Errorf("reading disk: %w", err)
	}
	defer d.Close()
	st, err := d.Stat()
	if err != nil {
		return fmt.Errorf("reading disk: %w", err)
	}
	hdr = &tar.Header{Name: DiskName, Mode: 0o644, Size: st.Size(), ModTime: epoch,
		Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing OVA: %w", err)
	}
	if _, err := io.Copy(tw, d); err != nil {
		return fmt.Errorf("writing OVA: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("writing OVA: %w", err)
	}
	return f.Close()
}

// installVagrant copies the box into a Vagrant home as version 0.
func installVagrant(out, vhome string) error {
	dst := filepath.Join(vhome, "boxes", VagrantBox, "0", "virtualbox")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("creating Vagrant box folder: %w", err)
	}
	for _, name := range []string{OVFName, DiskName, "metadata.json", "Vagrantfile"} {
		if err := copyFile(filepath.Join(out, name), filepath.Join(dst, name)); err != nil {
			return fmt.Errorf("installing Vagrant box: %w", err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

const vagrantfile = `Vagrant.configure("2") do |config|
  config.vm.base_mac = "0800279D0A23"
  config.vm.provider "virtualbox" do |vb|
    vb.customize [ "modifyvm", :id, "--uartmode1", "file", File::NULL ]
  end
end
`
