package guest

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Bind is a host path made visible read-only at the same path in a guest.
type Bind struct {
	Src string `json:"src"` // host path (resolved)
	Dst string `json:"dst"` // guest path
	Dir bool   `json:"dir"`
}

// hostTools are the host binaries every guest gets, read-only, at their
// guest paths: OpenSSH's server and helpers, iproute2's ip, ssh-keygen, and
// coreutils' install, which Ubuntu has and Debian's busybox lacks.
var hostTools = []struct{ src, dst string }{
	{"/usr/bin/install", "/usr/bin/install"},
	{"/usr/sbin/sshd", "/usr/sbin/sshd"},
	{"/usr/lib/openssh", "/usr/lib/openssh"},
	{"/usr/bin/ssh-keygen", "/usr/bin/ssh-keygen"},
	{"/usr/sbin/ip", "/usr/sbin/ip"},
	{"/usr/sbin/ip", "/usr/bin/ip"},
}

// hostShells replace the skeleton's busybox shells when the host has
// them: Debian's static busybox sh runs its own applets before PATH (its
// ip, not iproute2's), where Ubuntu's bash and dash do not.
var hostShells = []struct{ src, dst string }{
	{"/usr/bin/bash", "/usr/bin/bash"},
	{"/usr/bin/dash", "/usr/bin/sh"},
	{"/usr/bin/dash", "/usr/bin/dash"},
}

// libDirs are searched for DT_NEEDED libraries, as the dynamic loader does.
var libDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// hostBinds lists the read-only binds a guest needs: the tools, the
// folders holding their libraries (NSS modules live there too) and the
// ELF interpreter at its absolute path.
func hostBinds() ([]Bind, error) {
	var binds []Bind
	dirs := map[string]bool{}
	interps := map[string]bool{}
	tools := hostTools
	for _, t := range hostShells {
		if _, err := os.Stat(t.src); err == nil {
			tools = append(tools, t)
		}
	}
	for _, t := range tools {
		src, err := filepath.EvalSymlinks(t.src)
		if err != nil {
			return nil, fmt.Errorf("finding host tool %s: %w", t.src, err)
		}
		st, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("finding host tool %s: %w", t.src, err)
		}
		binds = append(binds, Bind{Src: src, Dst: t.dst, Dir: st.IsDir()})
		files := []string{src}
		if st.IsDir() {
			files, _ = filepath.Glob(filepath.Join(src, "*"))
		}
		for _, f := range files {
			if err := elfDeps(f, dirs, interps); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range sortedKeys(dirs) {
		binds = append(binds, Bind{Src: d, Dst: d, Dir: true})
	}
	for _, i := range sortedKeys(interps) {
		src, err := filepath.EvalSymlinks(i)
		if err != nil {
			return nil, fmt.Errorf("finding the ELF interpreter %s: %w", i, err)
		}
		binds = append(binds, Bind{Src: src, Dst: i})
	}
	return binds, nil
}

// elfDeps records the folders of file's libraries, recursively, and its
// interpreter. Files that are not ELF (scripts) have none.
func elfDeps(file string, dirs, interps map[string]bool) error {
	f, err := elf.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil && len(b) > 0 {
				interps[string(b[:len(b)-1])] = true
			}
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil
	}
	for _, lib := range libs {
		found := ""
		for _, d := range libDirs {
			if p, err := filepath.EvalSymlinks(filepath.Join(d, lib)); err == nil {
				found = p
				break
			}
		}
		if found == "" {
			return fmt.Errorf("library %s of %s not found on the host", lib, file)
		}
		if dirs[filepath.Dir(found)] {
			continue
		}
		dirs[filepath.Dir(found)] = true
		if err := elfDeps(found, dirs, interps); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
