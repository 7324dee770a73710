package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

// routeTable lists every v1 route; the router and the OpenAPI document are both built from it.
func (s *Server) routeTable() []Route {
	return []Route{
		{http.MethodPost, "/auth/login", AuthPublic, "Log in and receive an access token", LoginRequest{}, s.login},
		{http.MethodPost, "/auth/change-password", AuthToken, "Change the caller's password", ChangePasswordRequest{}, s.changePassword},
		{http.MethodPost, "/auth/logout", AuthToken, "Revoke the caller's token", nil, s.logout},
		{http.MethodPost, "/auth/sse-ticket", AuthViewer, "Issue a single-use stream ticket", nil, s.sseTicket},
		{http.MethodGet, "/logs", AuthViewer, "Search logs", nil, s.getLogs},
		{http.MethodGet, "/logs/histogram", AuthViewer, "Log histogram", nil, s.getHistogram},
		{http.MethodGet, "/stats", AuthViewer, "Dashboard counters", nil, s.getStats},
		{http.MethodGet, "/stream", AuthStream, "Server-sent event stream of logs, stats and histogram", nil, s.getStream},
		{http.MethodGet, "/health", AuthViewer, "Component health", nil, s.getHealth},
		{http.MethodGet, "/bounty", AuthViewer, "Fingerprints, IP leaks and artifacts", nil, s.getBounty},
		{http.MethodGet, "/credentials", AuthViewer, "Captured credentials", nil, s.getCredentials},
		{http.MethodGet, "/attackers", AuthViewer, "Attacker profiles", nil, s.getAttackers},
		{http.MethodGet, "/attackers/export", AuthViewer, "JSON export of every attacker", nil, s.exportAttackers},
		{http.MethodGet, "/attackers/:uuid", AuthViewer, "One attacker profile", nil, s.getAttacker},
		{http.MethodGet, "/attackers/:uuid/commands", AuthViewer, "Commands an attacker ran", nil, s.getAttackerCommands},
		{http.MethodGet, "/deckies", AuthViewer, "The fleet", nil, s.getDeckies},
		{http.MethodPost, "/deckies/deploy", AuthAdmin, "Deploy deckies from an INI (202); with dry_run=true only validate and plan: 200 {dry_run: true, deckies: [GET /deckies items, state planned]}", V1DeployRequest{}, s.deploy},
		{http.MethodGet, "/deckies/lifecycle", AuthViewer, "Progress of asynchronous decky operations", nil, s.getLifecycle},
		{http.MethodPost, "/deckies/:decky_name/mutate", AuthAdmin, "Mutate a decky's services now", nil, s.mutateDecky},
		{http.MethodPut, "/deckies/:decky_name/mutate-interval", AuthAdmin, "Set a decky's mutation interval", MutateIntervalRequest{}, s.putMutateInterval},
		{http.MethodDelete, "/deckies/:decky_name", AuthAdmin, "Remove a decky", nil, s.deleteDecky},
		{http.MethodGet, "/config", AuthViewer, "Configuration (and users, for admins)", nil, s.getConfig},
		{http.MethodPut, "/config/deployment-limit", AuthAdmin, "Set the deployment limit", DeploymentLimitRequest{}, s.putDeploymentLimit},
		{http.MethodPut, "/config/global-mutation-interval", AuthAdmin, "Set the fleet mutation interval", GlobalMutationIntervalRequest{}, s.putGlobalInterval},
		{http.MethodPost, "/config/users", AuthAdmin, "Create a user", CreateUserRequest{}, s.createUser},
		{http.MethodDelete, "/config/users/:uuid", AuthAdmin, "Delete a user", nil, s.deleteUser},
		{http.MethodPut, "/config/users/:uuid/role", AuthAdmin, "Change a user's role", RoleRequest{}, s.putRole},
		{http.MethodPut, "/config/users/:uuid/reset-password", AuthAdmin, "Reset a user's password", ResetPasswordRequest{}, s.resetPassword},
		{http.MethodDelete, "/config/reinit", AuthAdmin, "Purge event data (developer mode)", nil, s.reinit},
		{http.MethodGet, "/openapi.json", AuthPublic, "This document", nil, s.openAPI},
	}
}

var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// OpenAPIPath converts a gin route path to OpenAPI syntax (/a/:b → /a/{b}).
func OpenAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// OpenAPI returns the OpenAPI 3.0 document of the route table.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		p := "/api/v1" + OpenAPIPath(rt.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{"summary": rt.Summary, "x-decnet-auth": rt.Auth,
			"responses": map[string]any{"200": map[string]any{"description": "OK"}}}
		switch rt.Auth {
		case AuthPublic:
		case AuthStream:
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"ticket": []string{}}}
		default:
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		var params []any
		for _, m := range ginParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Body))}}}
		}
		paths[p][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "decnet API", "version": s.o.Version},
		"paths":   paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
			"ticket": map[string]any{"type": "apiKey", "in": "query", "name": "ticket"},
		}},
	}
}

// schemaOf describes a request struct's JSON fields.
func schemaOf(t reflect.Type) map[string]any {
	props := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		typ := "string"
		switch ft.Kind() {
		case reflect.Bool:
			typ = "boolean"
		case reflect.Int, reflect.Int64, reflect.Int32:
			typ = "integer"
		}
		props[name] = map[string]any{"type": typ}
	}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
}

func (s *Server) openAPI(c *gin.Context) { c.JSON(http.StatusOK, s.OpenAPI()) }
