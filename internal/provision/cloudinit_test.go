package provision

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdomanski/iso9660"
	"gopkg.in/yaml.v3"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0kTestKeyOnlyForTests lab"

func TestUserDataPlain(t *testing.T) {
	tests := []struct{ user, want string }{
		{"ubuntu", "#cloud-config\nhostname: cp\nmanage_etc_hosts: true\nusers:\n" +
			"  - default\nssh_authorized_keys:\n  - " + testKey + "\n"},
		{"lab", "#cloud-config\nhostname: cp\nmanage_etc_hosts: true\nusers:\n" +
			"  - name: lab\n    groups: [sudo]\n    shell: /bin/bash\n" +
			"    sudo: ALL=(ALL) NOPASSWD:ALL\n    lock_passwd: true\n" +
			"    ssh_authorized_keys:\n      - " + testKey + "\n" +
			"ssh_authorized_keys:\n  - " + testKey + "\n"},
	}
	for _, tt := range tests {
		got, err := UserData("", tt.user, testKey, "cp")
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("user %s: got\n%s\nwant\n%s", tt.user, got, tt.want)
		}
		var parsed struct {
			Keys []string `yaml:"ssh_authorized_keys"`
			Host string   `yaml:"hostname"`
		}
		if err := yaml.Unmarshal([]byte(got), &parsed); err != nil ||
			len(parsed.Keys) != 1 || parsed.Keys[0] != testKey || parsed.Host != "cp" {
			t.Errorf("user %s: parsed %+v, %v", tt.user, parsed, err)
		}
	}
	var lab struct {
		Users []struct{ Sudo string } `yaml:"users"`
	}
	got, _ := UserData("", "lab", testKey, "cp")
	if err := yaml.Unmarshal([]byte(got), &lab); err != nil || len(lab.Users) != 1 ||
		lab.Users[0].Sudo != "ALL=(ALL) NOPASSWD:ALL" {
		t.Errorf("parsed %+v, %v", lab, err)
	}
}

func TestUserDataMIME(t *testing.T) {
	tests := []struct {
		name, userData, wantType string
	}{
		{"cloud-config", "#cloud-config\npackages: [jq]\n", "text/cloud-config"},
		{"script", "#!/bin/sh\necho hi\n", "text/x-shellscript"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UserData(tt.userData, "ubuntu", testKey, "cp")
			if err != nil {
				t.Fatal(err)
			}
			msg, err := mail.ReadMessage(strings.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			if v := msg.Header.Get("MIME-Version"); v != "1.0" {
				t.Errorf("MIME-Version %q", v)
			}
			mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			if err != nil || mt != "multipart/mixed" {
				t.Fatalf("content type %q: %v", mt, err)
			}
			r := multipart.NewReader(msg.Body, params["boundary"])
			var types, bodies []string
			for {
				p, err := r.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				body, _ := io.ReadAll(p)
				types = append(types, ct)
				bodies = append(bodies, string(body))
			}
			own, _ := UserData("", "ubuntu", testKey, "cp")
			if len(types) != 2 || types[0] != "text/cloud-config" || types[1] != tt.wantType {
				t.Fatalf("part types %v", types)
			}
			if bodies[0] != own || bodies[1] != tt.userData {
				t.Errorf("bodies %q", bodies)
			}
		})
	}
}

func TestUserDataRejectsUnknown(t *testing.T) {
	_, err := UserData("packages: [jq]\n", "ubuntu", testKey, "cp")
	if err == nil || !strings.Contains(err.Error(), "#cloud-config") ||
		!strings.Contains(err.Error(), "#!") {
		t.Fatalf("got %v", err)
	}
}

func TestWriteSeedReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.iso")
	ud := "#cloud-config\nhostname: cp\n"
	if err := WriteSeed(path, ud, "iid-abc", "cp"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := iso9660.OpenImage(f)
	if err != nil {
		t.Fatal(err)
	}
	if label, _ := img.Label(); label != "cidata" {
		t.Errorf("label %q", label)
	}
	root, err := img.RootDir()
	if err != nil {
		t.Fatal(err)
	}
	kids, err := root.GetChildren()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range kids {
		data, _ := io.ReadAll(k.Reader())
		got[k.Name()] = string(data)
	}
	want := map[string]string{"user-data": ud,
		"meta-data": "instance-id: iid-abc\nlocal-hostname: cp\n"}
	if len(got) != len(want) || got["user-data"] != want["user-data"] ||
		got["meta-data"] != want["meta-data"] {
		t.Errorf("got %q, want %q", got, want)
	}
}
