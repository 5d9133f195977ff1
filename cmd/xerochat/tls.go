package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme/autocert"
)

// TLSConfig is how serve speaks HTTPS: from certificate files, from
// automatic certificates for public domains (ACME, e.g. Let's Encrypt), or
// not at all (plain HTTP, e.g. behind a reverse proxy that terminates TLS).
type TLSConfig struct {
	CertFile, KeyFile string
	// ACMEDomains are the public domains to get certificates for.
	ACMEDomains []string
	// ACMECache is the folder the certificates are kept in.
	ACMECache string
	// ACMEEmail is told to the certificate authority, for expiry notices.
	ACMEEmail string
	// HTTPAddr, with ACME, serves the HTTP challenges and redirects every
	// other plain-HTTP request to HTTPS.
	HTTPAddr string
}

func (c TLSConfig) enabled() bool { return c.CertFile != "" || len(c.ACMEDomains) > 0 }

// check refuses a half-given configuration.
func (c TLSConfig) check() error {
	switch {
	case (c.CertFile == "") != (c.KeyFile == ""):
		return usagef("--tls-cert and --tls-key go together")
	case c.CertFile != "" && len(c.ACMEDomains) > 0:
		return usagef("use either --tls-cert/--tls-key or --acme-domain, not both")
	case len(c.ACMEDomains) > 0 && c.ACMECache == "":
		return usagef("--acme-domain needs --acme-cache, a folder to keep the certificates in")
	}
	return nil
}

// listen wraps ln in TLS as configured; redirect, when not nil, is the
// plain-HTTP server of ACME's challenges and the redirect to HTTPS, to be
// served on HTTPAddr.
func (c TLSConfig) listen(ln net.Listener, logger *slog.Logger) (tlsLn net.Listener, redirect *http.Server, err error) {
	switch {
	case c.CertFile != "":
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		return tls.NewListener(ln, cfg), nil, nil
	case len(c.ACMEDomains) > 0:
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			HostPolicy: autocert.HostWhitelist(c.ACMEDomains...),
			Cache:      autocert.DirCache(c.ACMECache),
			Email:      c.ACMEEmail,
		}
		cfg := m.TLSConfig()
		cfg.MinVersion = tls.VersionTLS12
		redirect = &http.Server{Addr: c.HTTPAddr, Handler: m.HTTPHandler(nil), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
		return tls.NewListener(ln, cfg), redirect, nil
	}
	return ln, nil, nil
}

// splitList reads a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
