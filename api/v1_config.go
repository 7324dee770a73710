package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/store"
	"github.com/gin-gonic/gin"
)

// UserView is a user as the API shows it.
type UserView struct {
	UUID               string `json:"uuid"`
	Username           string `json:"username"`
	Role               string `json:"role"`
	MustChangePassword bool   `json:"must_change_password"`
}

func viewOf(u store.User) UserView {
	return UserView{UUID: u.UUID, Username: u.Username, Role: u.Role, MustChangePassword: u.MustChangePassword}
}

// globalInterval returns config_globals.global_mutation_interval or the default.
func (s *Server) globalInterval(c *gin.Context) (string, error) {
	raw, found, err := s.o.Data.GetState(c.Request.Context(), "config_globals")
	if err != nil || !found {
		return s.o.DefaultMutationInterval, err
	}
	var v struct {
		GlobalMutationInterval string `json:"global_mutation_interval"`
	}
	if json.Unmarshal(raw, &v) != nil || v.GlobalMutationInterval == "" {
		return s.o.DefaultMutationInterval, nil
	}
	return v.GlobalMutationInterval, nil
}

func (s *Server) getConfig(c *gin.Context) {
	p := callerOf(c)
	var base map[string]any
	if v, ok := s.cache.get("config"); ok {
		base = v.(map[string]any)
	} else {
		limit, err := s.deploymentLimit(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		gi, err := s.globalInterval(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		base = map[string]any{"deployment_limit": limit, "global_mutation_interval": gi}
		s.cache.putTTL("config", base, 5*time.Second)
	}
	out := map[string]any{"role": p.Role}
	for k, v := range base {
		out[k] = v
	}
	if s.o.Developer {
		out["developer_mode"] = true
	}
	if p.Role == "admin" {
		us, err := s.o.Users.ListUsers(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		views := make([]UserView, 0, len(us))
		for _, u := range us {
			views = append(views, viewOf(u))
		}
		out["users"] = views
	}
	c.JSON(http.StatusOK, out)
}

// DeploymentLimitRequest is the body of PUT /config/deployment-limit.
type DeploymentLimitRequest struct {
	DeploymentLimit *int `json:"deployment_limit"`
}

func (s *Server) putDeploymentLimit(c *gin.Context) {
	var req DeploymentLimitRequest
	if !decodeBody(c, &req) {
		return
	}
	if req.DeploymentLimit == nil {
		badRequest(c)
		return
	}
	if *req.DeploymentLimit < 1 || *req.DeploymentLimit > 4096 {
		invalidParams(c)
		return
	}
	if err := s.o.Data.PutState(c.Request.Context(), "config_limits", map[string]int{"deployment_limit": *req.DeploymentLimit}); err != nil {
		s.fail(c, err)
		return
	}
	s.cache.del("config")
	c.JSON(http.StatusOK, gin.H{"message": "Deployment limit updated"})
}

// GlobalMutationIntervalRequest is the body of PUT /config/global-mutation-interval.
type GlobalMutationIntervalRequest struct {
	GlobalMutationInterval *string `json:"global_mutation_interval"`
}

func (s *Server) putGlobalInterval(c *gin.Context) {
	var req GlobalMutationIntervalRequest
	if !decodeBody(c, &req) {
		return
	}
	if req.GlobalMutationInterval == nil {
		badRequest(c)
		return
	}
	if !durationRE.MatchString(*req.GlobalMutationInterval) {
		invalidParams(c)
		return
	}
	if _, err := conf.ParseDuration(*req.GlobalMutationInterval); err != nil {
		invalidParams(c)
		return
	}
	if err := s.o.Data.PutState(c.Request.Context(), "config_globals", map[string]string{"global_mutation_interval": *req.GlobalMutationInterval}); err != nil {
		s.fail(c, err)
		return
	}
	s.cache.del("config")
	c.JSON(http.StatusOK, gin.H{"message": "Global mutation interval updated"})
}

// CreateUserRequest is the body of POST /config/users.
type CreateUserRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	Role     *string `json:"role"`
}

func validRole(r string) bool { return r == "admin" || r == "viewer" }

func (s *Server) createUser(c *gin.Context) {
	var req CreateUserRequest
	if !decodeBody(c, &req) {
		return
	}
	if !strLen(req.Username, 1, 64, 0) || !strLen(req.Password, 12, 72, 72) {
		badRequest(c)
		return
	}
	role := "viewer"
	if req.Role != nil {
		role = *req.Role
	}
	if !validRole(role) {
		invalidParams(c)
		return
	}
	h, err := HashPassword(*req.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.o.Users.CreateUser(c.Request.Context(), *req.Username, h, role, true)
	if errors.Is(err, store.ErrUserExists) {
		detail(c, http.StatusConflict, "Username already exists")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewOf(u))
}

// targetUser loads the path's user or answers 404 (also for a non-UUID value).
func (s *Server) targetUser(c *gin.Context) (store.User, bool) {
	u, found, err := s.o.Users.UserByUUID(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		s.fail(c, err)
		return u, false
	}
	if !found {
		detail(c, http.StatusNotFound, "User not found")
		return u, false
	}
	return u, true
}

func (s *Server) deleteUser(c *gin.Context) {
	p := callerOf(c)
	if c.Param("uuid") == p.UUID {
		detail(c, http.StatusForbidden, "Cannot delete your own account")
		return
	}
	u, ok := s.targetUser(c)
	if !ok {
		return
	}
	if _, err := s.o.Users.DeleteUser(c.Request.Context(), u.UUID); err != nil {
		s.fail(c, err)
		return
	}
	s.forgetUser(u.UUID, u.Username)
	c.JSON(http.StatusOK, gin.H{"message": "User deleted"})
}

// RoleRequest is the body of PUT /config/users/{uuid}/role.
type RoleRequest struct {
	Role *string `json:"role"`
}

func (s *Server) putRole(c *gin.Context) {
	var req RoleRequest
	if !decodeBody(c, &req) {
		return
	}
	if req.Role == nil {
		badRequest(c)
		return
	}
	if !validRole(*req.Role) {
		invalidParams(c)
		return
	}
	if c.Param("uuid") == callerOf(c).UUID {
		detail(c, http.StatusForbidden, "Cannot change your own role")
		return
	}
	u, ok := s.targetUser(c)
	if !ok {
		return
	}
	if _, err := s.o.Users.SetRole(c.Request.Context(), u.UUID, *req.Role); err != nil {
		s.fail(c, err)
		return
	}
	s.forgetUser(u.UUID, u.Username)
	c.JSON(http.StatusOK, gin.H{"message": "Role updated"})
}

// ResetPasswordRequest is the body of PUT /config/users/{uuid}/reset-password.
type ResetPasswordRequest struct {
	NewPassword *string `json:"new_password"`
}

func (s *Server) resetPassword(c *gin.Context) {
	var req ResetPasswordRequest
	if !decodeBody(c, &req) {
		return
	}
	if !strLen(req.NewPassword, 12, 72, 72) {
		badRequest(c)
		return
	}
	u, ok := s.targetUser(c)
	if !ok {
		return
	}
	h, err := HashPassword(*req.NewPassword)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.o.Users.SetPassword(c.Request.Context(), u.UUID, h, true, true); err != nil {
		s.fail(c, err)
		return
	}
	s.forgetUser(u.UUID, u.Username)
	c.JSON(http.StatusOK, gin.H{"message": "Password reset"})
}

func (s *Server) reinit(c *gin.Context) {
	if !s.o.Developer {
		detail(c, http.StatusForbidden, "Developer mode required")
		return
	}
	n, err := s.o.Data.Reinit(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.cache.clear()
	c.JSON(http.StatusOK, gin.H{"message": "Data purged", "deleted": n})
}
