package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxKeyFile bounds LoadKeyFile; a PEM public key or a certificate is a
// few kilobytes.
const maxKeyFile = 64 << 10

// minRSABits is the smallest RSA key a Verifier accepts.
const minRSABits = 2048

// LoadKeyFile reads a key for VerifierConfig.Key from a file: a PEM
// public key (or certificate) for RS256 and EdDSA, the shared secret for
// HS256. One trailing newline ("\n" or "\r\n"), which editors and
// `echo` add, is removed; the secret is otherwise used byte for byte.
// Files over 64 KiB are refused.
func LoadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("key file %s is over %d bytes: it should hold one key", path, maxKeyFile)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

// parsePublicKeyPEM returns the public key in the first PEM block of b:
// "PUBLIC KEY" (PKIX), "RSA PUBLIC KEY" (PKCS #1) or "CERTIFICATE" (the
// certificate's key; the certificate itself is not checked).
func parsePublicKeyPEM(b []byte) (any, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block found: want -----BEGIN PUBLIC KEY-----")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return c.PublicKey, nil
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("the PEM block is a %s: give Parley only the public key, the application keeps the private one", block.Type)
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
}

// rsaPublicKey parses PEM and checks that it holds an RSA key of at least
// minRSABits.
func rsaPublicKey(b []byte) (*rsa.PublicKey, error) {
	k, err := parsePublicKeyPEM(b)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("RS256 needs an RSA public key, the PEM holds %s", keyKind(k))
	}
	if rk.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("RSA key has %d bits: at least %d are needed", rk.N.BitLen(), minRSABits)
	}
	return rk, nil
}

// ed25519PublicKey parses PEM and checks that it holds an Ed25519 key.
func ed25519PublicKey(b []byte) (ed25519.PublicKey, error) {
	k, err := parsePublicKeyPEM(b)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("EdDSA needs an Ed25519 public key, the PEM holds %s", keyKind(k))
	}
	return ek, nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case ed25519.PublicKey:
		return "an Ed25519 key"
	case *ecdsa.PublicKey:
		return "an ECDSA key"
	default:
		return fmt.Sprintf("a %T", k)
	}
}
