package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the bcrypt cost of password hashes (api.md §2).
const BcryptCost = 12

// Token claim values (api.md §2).
const (
	TokenIssuer   = "decnet"
	TokenAudience = "decnet-dashboard"
	TokenType     = "access"
)

// truncate72 returns the first 72 bytes of the password's UTF-8 encoding (bcrypt's input limit).
func truncate72(pw string) []byte {
	b := []byte(pw)
	if len(b) > 72 {
		b = b[:72]
	}
	return b
}

// HashPassword returns the bcrypt (cost 12) hash of the password's first 72 UTF-8 bytes.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(truncate72(pw), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw (truncated to 72 bytes) matches the bcrypt hash.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), truncate72(pw)) == nil
}

// Claims are the JWT claims minted at login.
type Claims struct {
	UUID string `json:"uuid"`
	Typ  string `json:"typ"`
	jwt.RegisteredClaims
}

// Tokens mints and verifies HS256 access tokens.
type Tokens struct {
	Secret []byte
	TTL    time.Duration
	Now    func() time.Time // default time.Now
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Mint returns a signed token for the user uuid with a fresh random jti.
func (t *Tokens) Mint(userUUID string) (string, error) {
	var j [16]byte
	if _, err := rand.Read(j[:]); err != nil {
		return "", fmt.Errorf("jti: %w", err)
	}
	now := t.now()
	c := Claims{UUID: userUUID, Typ: TokenType, RegisteredClaims: jwt.RegisteredClaims{
		ID:        hex.EncodeToString(j[:]),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(t.TTL)),
		Issuer:    TokenIssuer,
		Audience:  jwt.ClaimStrings{TokenAudience},
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.Secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// errBadToken is any verification failure.
var errBadToken = errors.New("could not validate credentials")

// Parse verifies a token's signature (HS256 only) and claims: exp (future), iat, iss, aud, uuid, typ and jti
// present and correct. The user, tokens_valid_from and revocation checks are the caller's.
func (t *Tokens) Parse(tok string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return t.Secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(TokenIssuer), jwt.WithAudience(TokenAudience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(t.now))
	if err != nil {
		return nil, errBadToken
	}
	if c.IssuedAt == nil || c.UUID == "" || c.ID == "" || c.Typ != TokenType {
		return nil, errBadToken
	}
	return &c, nil
}

// Ticket is what an SSE ticket is bound to.
type Ticket struct {
	UUID string
	Role string
}

// Tickets holds single-use SSE tickets in memory.
type Tickets struct {
	TTL time.Duration // default 60 s
	mu  sync.Mutex
	m   map[string]ticketEntry
}

type ticketEntry struct {
	t   Ticket
	exp time.Time
}

// Issue returns a new opaque ticket (32 random bytes, base64url without padding) bound to t.
func (ts *Tickets) Issue(t Ticket) string {
	var b [32]byte
	rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	ttl := ts.TTL
	if ttl <= 0 {
		ttl = 60 * time.Second
	}
	now := time.Now()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.m == nil {
		ts.m = map[string]ticketEntry{}
	}
	for k, e := range ts.m {
		if now.After(e.exp) {
			delete(ts.m, k)
		}
	}
	ts.m[id] = ticketEntry{t: t, exp: now.Add(ttl)}
	return id
}

// Redeem consumes a ticket; ok is false for an unknown, used or expired ticket.
func (ts *Tickets) Redeem(id string) (Ticket, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	e, ok := ts.m[id]
	if !ok {
		return Ticket{}, false
	}
	delete(ts.m, id)
	if time.Now().After(e.exp) {
		return Ticket{}, false
	}
	return e.t, true
}

// Limiter is a fixed-window rate limiter keyed by string.
type Limiter struct {
	mu sync.Mutex
	m  map[string]window
	n  int // calls since the last sweep
}

type window struct {
	start time.Time
	count int
}

// Allow counts one hit on key in a window of length per allowing max hits; when refused it returns the
// time until the window resets.
func (l *Limiter) Allow(key string, max int, per time.Duration) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]window{}
	}
	if l.n++; l.n >= 4096 {
		l.n = 0
		for k, w := range l.m {
			if now.Sub(w.start) >= time.Hour {
				delete(l.m, k)
			}
		}
	}
	w := l.m[key]
	if w.start.IsZero() || now.Sub(w.start) >= per {
		w = window{start: now}
	}
	if w.count >= max {
		l.m[key] = w
		return false, per - now.Sub(w.start)
	}
	w.count++
	l.m[key] = w
	return true, 0
}
