package vbox

import (
	"archive/tar"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ovfEnvelope is the part of an OVF 1.0 envelope the importer reads.
// Element names are matched by local name, whatever the namespace prefix.
type ovfEnvelope struct {
	Files []struct {
		ID   string `xml:"id,attr"`
		Href string `xml:"href,attr"`
		Size string `xml:"size,attr"`
	} `xml:"References>File"`
	Disks []struct {
		DiskID    string `xml:"diskId,attr"`
		FileRef   string `xml:"fileRef,attr"`
		Capacity  string `xml:"capacity,attr"`
		Format    string `xml:"format,attr"`
		Populated string `xml:"populatedSize,attr"`
	} `xml:"DiskSection>Disk"`
	Systems []ovfSystem `xml:"VirtualSystem"`
}

type ovfSystem struct {
	ID   string `xml:"id,attr"`
	Name string `xml:"Name"`
	OS   struct {
		ID     string `xml:"id,attr"`
		OSType string `xml:"OSType"` // vbox:OSType, written by VirtualBox exports
	} `xml:"OperatingSystemSection"`
	Items []ovfItem `xml:"VirtualHardwareSection>Item"`
}

type ovfItem struct {
	InstanceID      string `xml:"InstanceID"`
	ResourceType    int    `xml:"ResourceType"`
	ResourceSubType string `xml:"ResourceSubType"`
	VirtualQuantity string `xml:"VirtualQuantity"`
	AllocationUnits string `xml:"AllocationUnits"`
	Parent          string `xml:"Parent"`
	AddressOnParent string `xml:"AddressOnParent"`
	Address         string `xml:"Address"`
	HostResource    string `xml:"HostResource"`
	Connection      string `xml:"Connection"`
	ElementName     string `xml:"ElementName"`
}

// appliance is an OVF read from a .ovf file or an .ova tar.
type appliance struct {
	path string
	env  ovfEnvelope
	// open returns the content of a file the OVF references by href.
	open func(href string) (io.ReadCloser, error)
}

// readAppliance parses an .ovf, or an .ova whose first member is the .ovf.
func readAppliance(path string) (*appliance, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(abs), ".ova") {
		return readOVA(abs)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	a := &appliance{path: abs, open: func(href string) (io.ReadCloser, error) {
		return os.Open(filepath.Join(filepath.Dir(abs), href))
	}}
	return a, parseOVF(data, &a.env)
}

func parseOVF(data []byte, env *ovfEnvelope) error {
	if err := xml.Unmarshal(data, env); err != nil {
		return fmt.Errorf("parsing OVF: %w", err)
	}
	if len(env.Systems) == 0 {
		return errors.New("no VirtualSystem in the OVF")
	}
	return nil
}

func readOVA(path string) (*appliance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hdr, err := tar.NewReader(f).Next()
	if err != nil {
		return nil, fmt.Errorf("reading OVA: %w", err)
	}
	if !strings.HasSuffix(strings.ToLower(hdr.Name), ".ovf") {
		return nil, fmt.Errorf("first OVA member %q is not an .ovf", hdr.Name)
	}
	f2, _ := os.Open(path)
	defer f2.Close()
	tr := tar.NewReader(f2)
	_, _ = tr.Next()
	data, err := io.ReadAll(tr)
	if err != nil {
		return nil, fmt.Errorf("reading OVA: %w", err)
	}
	a := &appliance{path: path, open: func(href string) (io.ReadCloser, error) {
		return openTarMember(path, href)
	}}
	return a, parseOVF(data, &a.env)
}

// openTarMember returns a reader over one member of the tar at path.
func openTarMember(path, name string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s not in the OVA: %w", name, err)
		}
		if h.Name == name {
			return struct {
				io.Reader
				io.Closer
			}{tr, f}, nil
		}
	}
}

// ovfDisk is a disk the first virtual system attaches.
type ovfDisk struct {
	diskID, href, capacity, format, populated, size string
}

// diskByHost resolves an Item's HostResource ("ovf:/disk/vmdisk1").
func (a *appliance) diskByHost(host string) (ovfDisk, bool) {
	id := host[strings.LastIndex(host, "/")+1:]
	for _, d := range a.env.Disks {
		if d.DiskID != id {
			continue
		}
		out := ovfDisk{diskID: d.DiskID, capacity: d.Capacity, format: d.Format,
			populated: d.Populated}
		for _, f := range a.env.Files {
			if f.ID == d.FileRef {
				out.href, out.size = f.Href, f.Size
			}
		}
		return out, true
	}
	return ovfDisk{}, false
}

// vboxOSType is the vbox:OSType element VirtualBox exports, if any.
func (s *ovfSystem) vboxOSType() string { return strings.TrimSpace(s.OS.OSType) }

// memoryMB converts a memory Item to MB using its AllocationUnits.
func memoryMB(it ovfItem) int {
	n, _ := strconv.Atoi(strings.TrimSpace(it.VirtualQuantity))
	switch strings.ReplaceAll(strings.ToLower(it.AllocationUnits), " ", "") {
	case "byte*2^30", "gigabytes", "gb":
		return n * 1024
	case "byte*2^10", "kilobytes", "kb":
		return n / 1024
	case "byte", "bytes":
		return n / (1024 * 1024)
	}
	return n
}
