package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto headers are believed. Anyone else could write those
// headers to pose as another client address (defeating login throttling)
// or as HTTPS, so they are ignored from any other peer.
type Proxies struct {
	trusted []netip.Prefix
}

// ParseProxies reads a comma-separated list of addresses and CIDR prefixes
// ("127.0.0.1,10.0.0.0/8,::1"); "" trusts no proxy.
func ParseProxies(list string) (Proxies, error) {
	var p Proxies
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return p, fmt.Errorf("trusted proxy %q: not an address or a CIDR prefix", s)
			}
			p.trusted = append(p.trusted, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		prefix, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("trusted proxy %q: not an address or a CIDR prefix", s)
		}
		p.trusted = append(p.trusted, prefix.Masked())
	}
	return p, nil
}

func (p Proxies) trusts(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, t := range p.trusted {
		if t.Contains(addr) {
			return true
		}
	}
	return false
}

type (
	httpsKey     struct{}
	requestIDKey struct{}
)

// Wrap makes every later handler see the client's own address in
// r.RemoteAddr, know whether the client came over HTTPS (IsHTTPS), and
// carry a request id (RequestID), which the answer's X-Request-ID header
// returns. A request from a trusted proxy takes the address from
// X-Forwarded-For — the nearest one that is not itself a trusted proxy —,
// the scheme from X-Forwarded-Proto and the id from X-Request-ID; any
// other request keeps its peer address, is HTTPS exactly when it arrived
// over TLS, and gets an id made here.
func (p Proxies) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		https, id := r.TLS != nil, ""
		if peer, ok := peerAddr(r.RemoteAddr); ok && p.trusts(peer) {
			if client, ok := p.forwardedFor(r.Header.Values("X-Forwarded-For")); ok {
				r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
			}
			if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
				https = strings.EqualFold(strings.TrimSpace(strings.Split(proto, ",")[0]), "https")
			}
			if v := r.Header.Get("X-Request-ID"); validRequestID(v) {
				id = v
			}
		}
		if id == "" {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(context.WithValue(r.Context(), httpsKey{}, https), requestIDKey{}, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RequestID is the id of the request ctx belongs to, "" outside one.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// newRequestID makes a random id of 16 hex digits.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID takes a proxy's id only when it is short and plain, so
// that it cannot forge log lines.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return false
		}
	}
	return true
}

// forwardedFor returns the nearest address of the X-Forwarded-For chain
// that is not a trusted proxy: the last hop a trusted proxy saw.
func (p Proxies) forwardedFor(headers []string) (netip.Addr, bool) {
	var hops []string
	for _, h := range headers {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false
		}
		if !p.trusts(addr) || i == 0 {
			return addr.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func peerAddr(remote string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	return addr, err == nil
}

// IsHTTPS reports whether the client's request came over HTTPS, directly
// or through a trusted proxy. Outside Proxies.Wrap it tells whether the
// request itself arrived over TLS.
func IsHTTPS(r *http.Request) bool {
	if v, ok := r.Context().Value(httpsKey{}).(bool); ok {
		return v
	}
	return r.TLS != nil
}

// ClientIP is the client's address as Proxies.Wrap left it in RemoteAddr.
func ClientIP(r *http.Request) string {
	if addr, ok := peerAddr(r.RemoteAddr); ok {
		return addr.Unmap().String()
	}
	return r.RemoteAddr
}
