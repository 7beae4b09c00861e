package microk8s

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// CheckValue is the join check: the first 12 hex characters of the SHA-256
// of a certificate's DER bytes.
func CheckValue(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])[:12]
}

// ServerCheck is the check value of this node's server.crt.
func ServerCheck(env *sys.Env) (string, error) {
	der, err := readCertDER(env, serverCert)
	if err != nil {
		return "", err
	}
	return CheckValue(der), nil
}

func readCertDER(env *sys.Env, file string) ([]byte, error) {
	data, err := env.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return block.Bytes, nil
}

func newKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pemKey(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// makeCA writes a new cluster CA.
func makeCA(env *sys.Env) error {
	key, err := newKey()
	if err != nil {
		return fmt.Errorf("generating the CA key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(),
		Subject:   pkix.Name{CommonName: "10.152.183.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("signing the CA: %w", err)
	}
	if err := env.WriteFile(caCert, pemCert(der), 0o660); err != nil {
		return err
	}
	return env.WriteFile(caKey, pemKey(key), 0o660)
}

func loadCA(env *sys.Env) (*x509.Certificate, *rsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(env.Path(caCert), env.Path(caKey))
	if err != nil {
		return nil, nil, fmt.Errorf("loading the cluster CA: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the cluster CA: %w", err)
	}
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("the cluster CA key is not RSA")
	}
	return cert, key, nil
}

// serverIPs are the addresses the server certificate must name.
func serverIPs(env *sys.Env) []string {
	ips := []string{"127.0.0.1", "10.152.183.1"}
	return append(ips, env.HostIPv4s()...)
}

// makeServerCert signs server.crt for every current address, as the
// apiservice-kicker does when the addresses change.
func makeServerCert(env *sys.Env) error {
	ca, caPriv, err := loadCA(env)
	if err != nil {
		return err
	}
	key, err := newKey()
	if err != nil {
		return fmt.Errorf("generating the server key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(),
		Subject:   pkix.Name{CommonName: "127.0.0.1", Organization: []string{"Canonical"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth,
			x509.ExtKeyUsageClientAuth},
		DNSNames: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster", "kubernetes.default.svc.cluster.local",
			NodeName(env)}}
	for _, ip := range serverIPs(env) {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caPriv)
	if err != nil {
		return fmt.Errorf("signing the server certificate: %w", err)
	}
	if err := env.WriteFile(serverKey, pemKey(key), 0o660); err != nil {
		return err
	}
	return env.WriteFile(serverCert, pemCert(der), 0o660)
}

// certCoversIPs reports whether server.crt names every current address.
func certCoversIPs(env *sys.Env) bool {
	der, err := readCertDER(env, serverCert)
	if err != nil {
		return false
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return false
	}
	have := map[string]bool{}
	for _, ip := range cert.IPAddresses {
		have[ip.String()] = true
	}
	for _, ip := range serverIPs(env) {
		if !have[ip] {
			return false
		}
	}
	return true
}

// clientCert signs the admin client certificate.
func clientCert(env *sys.Env) (certPEM, keyPEM []byte, err error) {
	ca, caPriv, err := loadCA(env)
	if err != nil {
		return nil, nil, err
	}
	key, err := newKey()
	if err != nil {
		return nil, nil, fmt.Errorf("generating the admin key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(),
		Subject:   pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caPriv)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the admin certificate: %w", err)
	}
	return pemCert(der), pemKey(key), nil
}
