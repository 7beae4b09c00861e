package vbox

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocatorFind(t *testing.T) {
	tests := []struct {
		name    string
		goos    string
		env     map[string]string
		path    map[string]string // LookPath answers
		files   []string
		want    string
		wantErr string
	}{
		{name: "path first", goos: "linux", path: map[string]string{"VBoxManage": "/opt/bin/VBoxManage"},
			files: []string{"/usr/bin/VBoxManage"}, want: "/opt/bin/VBoxManage"},
		{name: "windows exe on path", goos: "windows",
			path: map[string]string{"VBoxManage.exe": `D:\vb\VBoxManage.exe`},
			want: `D:\vb\VBoxManage.exe`},
		{name: "msi install path list", goos: "windows",
			env:   map[string]string{"VBOX_MSI_INSTALL_PATH": `C:\nothere\;D:\VirtualBox\`},
			files: []string{`D:\VirtualBox\VBoxManage.exe`}, want: `D:\VirtualBox\VBoxManage.exe`},
		{name: "install path", goos: "linux", env: map[string]string{"VBOX_INSTALL_PATH": "/srv/vbox"},
			files: []string{"/srv/vbox/VBoxManage", "/usr/bin/VBoxManage"}, want: "/srv/vbox/VBoxManage"},
		{name: "usual darwin", goos: "darwin",
			files: []string{"/Applications/VirtualBox.app/Contents/MacOS/VBoxManage"},
			want:  "/Applications/VirtualBox.app/Contents/MacOS/VBoxManage"},
		{name: "nowhere linux", goos: "linux", env: map[string]string{"VBOX_INSTALL_PATH": "/a;/b"},
			wantErr: "VBoxManage not found; looked in:\n  PATH (VBoxManage)\n" +
				"  VBOX_MSI_INSTALL_PATH (not set)\n  /a/VBoxManage from VBOX_INSTALL_PATH\n" +
				"  /b/VBoxManage from VBOX_INSTALL_PATH\n  /usr/bin/VBoxManage\n" +
				"  /usr/local/bin/VBoxManage\n  /usr/lib/virtualbox/VBoxManage\n  /opt/VirtualBox/VBoxManage"},
		{name: "nowhere windows", goos: "windows", env: map[string]string{"ProgramFiles": `E:\Apps`},
			wantErr: "VBoxManage not found; looked in:\n  PATH (VBoxManage, VBoxManage.exe)\n" +
				"  VBOX_MSI_INSTALL_PATH (not set)\n  VBOX_INSTALL_PATH (not set)\n" +
				`  E:\Apps\Oracle\VirtualBox\VBoxManage.exe` + "\n" +
				`  C:\Program Files\Oracle\VirtualBox\VBoxManage.exe`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Locator{GOOS: tt.goos,
				Getenv: func(k string) string { return tt.env[k] },
				LookPath: func(n string) (string, error) {
					if p, ok := tt.path[n]; ok {
						return p, nil
					}
					return "", errors.New("not found")
				},
				IsFile: func(p string) bool {
					for _, f := range tt.files {
						if f == p {
							return true
						}
					}
					return false
				},
			}
			got, err := l.Find()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error:\n got %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestFindBox(t *testing.T) {
	home := t.TempDir()
	writeBox(t, home, "ubuntu-VAGRANTSLASH-jammy64", "20240101.0.0", "")
	newest := writeBox(t, home, "ubuntu-VAGRANTSLASH-jammy64", "20240301.0.0", "amd64")
	writeBox(t, home, "ubuntu-VAGRANTSLASH-jammy64", "20240401.0.0", "arm64")
	writeBox(t, home, "ubuntu-VAGRANTSLASH-jammy64", "not-a-version", "")
	writeBox(t, home, "ubuntu-VAGRANTSLASH-jammy64", "20240301.0.0.beta", "")
	tests := []struct {
		goos, goarch, name, want, wantErr string
	}{
		{"linux", "amd64", "ubuntu/jammy64", newest, ""},
		{"linux", "arm64", "ubuntu/jammy64",
			filepath.Join(home, "boxes", "ubuntu-VAGRANTSLASH-jammy64", "20240401.0.0", "arm64",
				"virtualbox", "box.ovf"), ""},
		{"linux", "amd64", "debian/bookworm64", "", `vagrant box "debian/bookworm64" not found`},
	}
	for _, tt := range tests {
		got, err := findBox(home, tt.goos, tt.goarch, tt.name)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v", tt.name, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s/%s: got %q, %v; want %q", tt.name, tt.goarch, got, err, tt.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		sign int
	}{
		{"1.0.0", "1.0.0", 0}, {"1.0", "1.0.0", 0}, {"1.10.0", "1.9.0", 1},
		{"20240301.0.0", "20240401.0.0", -1}, {"1.0.0.beta", "1.0.0", -1}, {"2.0.a", "2.0.b", -1},
	}
	for _, tt := range tests {
		c := compareVersions(tt.a, tt.b)
		if c > 0 {
			c = 1
		} else if c < 0 {
			c = -1
		}
		if c != tt.sign {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, c, tt.sign)
		}
	}
	for v, ok := range map[string]bool{"1.0.0": true, "0": true, "v1": false, "1..2": false} {
		if validBoxVersion(v) != ok {
			t.Errorf("validBoxVersion(%q) != %v", v, ok)
		}
	}
}

func TestBoxHome(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	h, _ := boxHome("linux", env(map[string]string{"VAGRANT_HOME": "/v", "HOME": "/h"}))
	if h != "/v" {
		t.Errorf("VAGRANT_HOME ignored: %s", h)
	}
	h, _ = boxHome("linux", env(map[string]string{"HOME": "/h"}))
	if h != filepath.Join("/h", ".vagrant.d") {
		t.Errorf("home: %s", h)
	}
	if _, err := boxHome("windows", env(map[string]string{"HOME": "/h"})); err == nil {
		t.Error("windows without USERPROFILE found a home")
	}
	if got := boxDirName("windows", "corp:base/u"); got != "corp-VAGRANTCOLON-base-VAGRANTSLASH-u" {
		t.Errorf("boxDirName: %s", got)
	}
}
