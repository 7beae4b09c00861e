// Package cloudinit plays cloud-init 24.4 on Ubuntu 22.04 with the NoCloud
// datasource: it reads the seed, runs the boot stages (hostname, users, SSH
// keys, sudoers, files, network, commands, scripts) and answers
// `cloud-init status`.
package cloudinit

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"

	"gopkg.in/yaml.v3"
)

// UserData is user-data split into its cloud-config and its scripts.
type UserData struct {
	Config  map[string]any
	Scripts []Script
	// Problems are recoverable: a part that could not be used.
	Problems []string
}

// Script is a shell script part, run at the end of boot.
type Script struct {
	Name string
	Body []byte
}

// ParseUserData reads user-data: a `#cloud-config` document, a `#!` script,
// or a multipart/mixed MIME message of those.
func ParseUserData(data []byte) UserData {
	ud := UserData{Config: map[string]any{}}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
	case hasPrefixFold(trimmed, "content-type:") || hasPrefixFold(trimmed, "mime-version:"):
		ud.parseMIME(data)
	default:
		ud.addPart("", "part-001", data)
	}
	return ud
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && strings.EqualFold(string(b[:len(p)]), p)
}

func (ud *UserData) parseMIME(data []byte) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		ud.Problems = append(ud.Problems, fmt.Sprintf("Failed to parse MIME user-data: %v", err))
		return
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		body, _ := io.ReadAll(msg.Body)
		ud.addPart(mt, "part-001", body)
		return
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for n := 1; ; n++ {
		part, err := r.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			ud.Problems = append(ud.Problems, fmt.Sprintf("Failed to parse MIME part: %v", err))
			return
		}
		body, _ := io.ReadAll(part)
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			if dec, err := base64.StdEncoding.DecodeString(string(body)); err == nil {
				body = dec
			}
		}
		ptype, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		name := part.FileName()
		if name == "" {
			name = fmt.Sprintf("part-%03d", n)
		}
		ud.addPart(ptype, name, body)
	}
}

// addPart files one part by its MIME type, or by its first line.
func (ud *UserData) addPart(ptype, name string, body []byte) {
	head := strings.TrimSpace(string(bytes.TrimLeft(body, " \t\r\n")))
	switch {
	case ptype == "text/cloud-config" || strings.HasPrefix(head, "#cloud-config"):
		ud.mergeConfig(body)
	case ptype == "text/x-shellscript" || strings.HasPrefix(head, "#!"):
		ud.Scripts = append(ud.Scripts, Script{Name: name, Body: body})
	case ptype == "text/cloud-boothook" || ptype == "text/part-handler":
		ud.Problems = append(ud.Problems, "Unhandled non-multipart (text/x-not-multipart) "+
			"userdata: '"+ptype+"'")
	default:
		first, _, _ := strings.Cut(head, "\n")
		ud.Problems = append(ud.Problems, "Unhandled non-multipart (text/x-not-multipart) "+
			"userdata: '"+first+"...'")
	}
}

// appendKeys are the lists a later cloud-config part extends rather than
// replaces.
var appendKeys = map[string]bool{"users": true, "ssh_authorized_keys": true, "runcmd": true,
	"bootcmd": true, "write_files": true, "packages": true}

func (ud *UserData) mergeConfig(body []byte) {
	var cfg map[string]any
	if err := yaml.Unmarshal(body, &cfg); err != nil {
		ud.Problems = append(ud.Problems, fmt.Sprintf("Failed loading yaml blob. %v", err))
		return
	}
	for k, v := range cfg {
		old, ok := ud.Config[k].([]any)
		add, isList := v.([]any)
		if ok && isList && appendKeys[k] {
			ud.Config[k] = append(old, add...)
			continue
		}
		ud.Config[k] = v
	}
}

// strList reads a value that may be a list of strings or a comma string.
func strList(v any) []string {
	switch t := v.(type) {
	case string:
		var out []string
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	case []any:
		var out []string
		for _, it := range t {
			out = append(out, fmt.Sprint(it))
		}
		return out
	}
	return nil
}

func boolOf(v any, def bool) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		switch strings.ToLower(t) {
		case "true", "yes", "on", "1":
			return true
		case "false", "no", "off", "0":
			return false
		}
	}
	return def
}

func strOf(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
