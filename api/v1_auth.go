package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/decnet/decnet/store"
	"github.com/gin-gonic/gin"
)

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// ChangePasswordRequest is the body of POST /auth/change-password.
type ChangePasswordRequest struct {
	OldPassword *string `json:"old_password"`
	NewPassword *string `json:"new_password"`
}

// dummyHash equalises the timing of logins for unknown users.
var dummyHash = func() string {
	h, _ := HashPassword("decnet-timing-equaliser")
	return h
}()

func (s *Server) login(c *gin.Context) {
	ip := clientIP(c)
	body, _ := io.ReadAll(io.LimitReader(c.Request.Body, MaxBodyBytes+1))
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	var peek struct {
		Username any `json:"username"`
	}
	userKey := "login-user:__unparseable__"
	if json.Unmarshal(body, &peek) == nil {
		if u, ok := peek.Username.(string); ok {
			userKey = "login-user:" + u
		}
	}
	if s.rateLimited(c, "login-ip:"+ip, 10, 5*time.Minute) || s.rateLimited(c, userKey, 10, 5*time.Minute) {
		return
	}
	var req LoginRequest
	if !decodeBody(c, &req) {
		return
	}
	if req.Username == nil || req.Password == nil || !strLen(req.Password, 0, 72, 0) {
		badRequest(c)
		return
	}
	ctx := c.Request.Context()
	u, found := s.names.get(*req.Username)
	if !found {
		var err error
		u, found, err = s.o.Users.UserByName(ctx, *req.Username)
		if err != nil {
			s.fail(c, err)
			return
		}
		if found {
			s.names.put(*req.Username, u)
		}
	}
	if !found {
		CheckPassword(dummyHash, *req.Password)
		detail(c, http.StatusUnauthorized, "Incorrect username or password")
		return
	}
	if !CheckPassword(u.PasswordHash, *req.Password) {
		detail(c, http.StatusUnauthorized, "Incorrect username or password")
		return
	}
	tok, err := s.tokens.Mint(u.UUID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"access_token": tok, "token_type": "bearer", "must_change_password": u.MustChangePassword})
}

func (s *Server) changePassword(c *gin.Context) {
	if s.rateLimited(c, "change-password:"+clientIP(c), 5, time.Minute) {
		return
	}
	var req ChangePasswordRequest
	if !decodeBody(c, &req) {
		return
	}
	if !strLen(req.OldPassword, 0, 72, 0) || !strLen(req.NewPassword, 12, 72, 72) {
		badRequest(c)
		return
	}
	p := callerOf(c)
	if p.Socket {
		detail(c, http.StatusBadRequest, "The control socket has no user account")
		return
	}
	ctx := c.Request.Context()
	u, found, err := s.o.Users.UserByUUID(ctx, p.UUID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !found {
		unauthorized(c)
		return
	}
	if !CheckPassword(u.PasswordHash, *req.OldPassword) {
		detail(c, http.StatusUnauthorized, "Incorrect old password")
		return
	}
	h, err := HashPassword(*req.NewPassword)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.o.Users.SetPassword(ctx, u.UUID, h, false, true); err != nil {
		s.fail(c, err)
		return
	}
	s.forgetUser(u.UUID, u.Username)
	c.JSON(http.StatusOK, gin.H{"message": "Password updated successfully"})
}

func (s *Server) logout(c *gin.Context) {
	p := callerOf(c)
	if p.Socket {
		c.JSON(http.StatusOK, gin.H{"message": "Logged out"})
		return
	}
	if err := s.o.Users.RevokeToken(c.Request.Context(), p.JTI, p.UUID, p.Exp); err != nil {
		s.fail(c, err)
		return
	}
	s.revoked.put(p.JTI, true)
	c.JSON(http.StatusOK, gin.H{"message": "Logged out"})
}

func (s *Server) sseTicket(c *gin.Context) {
	p := callerOf(c)
	if p.Socket {
		detail(c, http.StatusBadRequest, "Streams on the control socket need no ticket")
		return
	}
	t := s.tickets.Issue(Ticket{UUID: p.UUID, Role: p.Role})
	c.JSON(http.StatusOK, gin.H{"ticket": t, "expires_in": 60})
}

// Bootstrap ensures the admin account (api.md §2): created with must_change_password when missing; its hash
// reset from password while it still must change it.
func Bootstrap(ctx context.Context, users UserStore, username, password string) error {
	u, found, err := users.UserByName(ctx, username)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	if !found {
		if _, err := users.CreateUser(ctx, username, h, "admin", true); err != nil && err != store.ErrUserExists {
			return fmt.Errorf("bootstrap admin: %w", err)
		}
		return nil
	}
	if u.MustChangePassword && !CheckPassword(u.PasswordHash, password) {
		if _, err := users.SetPassword(ctx, u.UUID, h, true, false); err != nil {
			return fmt.Errorf("bootstrap admin: %w", err)
		}
	}
	return nil
}
