package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
)

// apiUser is a user of GET /config.
type apiUser struct {
	UUID               string `json:"uuid"`
	Username           string `json:"username"`
	Role               string `json:"role"`
	MustChangePassword bool   `json:"must_change_password"`
}

func (a *app) usersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "List and manage API users (admin)",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd, "table", "json")
	dial := a.apiFlag(cmd)
	cmd.RunE = func(*cobra.Command, []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		c, err := dial()
		if err != nil {
			return err
		}
		us, err := listUsers(c)
		if err != nil {
			return err
		}
		if format == "json" {
			b, _ := json.Marshal(us)
			printJSON(a.stdout, b)
			return nil
		}
		rows := make([][]string, 0, len(us))
		for _, u := range us {
			mc := ""
			if u.MustChangePassword {
				mc = colour(a.stdout, "33", "yes")
			}
			rows = append(rows, []string{u.Username, u.Role, mc, u.UUID})
		}
		table(a.stdout, []string{"USERNAME", "ROLE", "MUST CHANGE", "ID"}, rows)
		return nil
	}
	cmd.AddCommand(a.usersAddCmd(), a.usersRmCmd(), a.usersPasswdCmd(), a.usersRoleCmd())
	return cmd
}

func ctx60() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 60*time.Second)
}

func listUsers(c *v1Client) ([]apiUser, error) {
	ctx, cancel := ctx60()
	defer cancel()
	var cfg struct {
		Role  string    `json:"role"`
		Users []apiUser `json:"users"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/config", nil, &cfg); err != nil {
		return nil, classify(err)
	}
	if cfg.Role != "admin" {
		return nil, failure(errors.New("insufficient permissions: admin only"))
	}
	if cfg.Users == nil {
		cfg.Users = []apiUser{}
	}
	return cfg.Users, nil
}

// resolveUser maps a username or uuid to the user's uuid.
func resolveUser(c *v1Client, who string) (string, error) {
	us, err := listUsers(c)
	if err != nil {
		return "", err
	}
	for _, u := range us {
		if u.Username == who || u.UUID == who {
			return u.UUID, nil
		}
	}
	return "", usageErrf("User not found")
}

func (a *app) usersAddCmd() *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "add USERNAME",
		Short: "Create a user (password from stdin or prompt; must be changed at first login)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&role, "role", "viewer", "admin|viewer")
	output := outputFlag(cmd, "table", "json")
	dial := a.apiFlag(cmd)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		if role != "admin" && role != "viewer" {
			return usageErrf("invalid role '%s': use admin or viewer", role)
		}
		c, err := dial()
		if err != nil {
			return err
		}
		pw, err := a.readSecret("Password for " + args[0] + ": ")
		if err != nil {
			return err
		}
		ctx, cancel := ctx60()
		defer cancel()
		raw, err := c.raw(ctx, http.MethodPost, "/api/v1/config/users", map[string]string{"username": args[0], "password": pw, "role": role})
		if err != nil {
			return classify(err)
		}
		if format == "json" {
			printJSON(a.stdout, raw)
			return nil
		}
		var u apiUser
		_ = json.Unmarshal(raw, &u)
		fmt.Fprintf(a.stdout, "Created %s (%s, id %s); the password must be changed at first login\n", u.Username, u.Role, u.UUID)
		return nil
	}
	return cmd
}

func (a *app) usersRmCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rm USER", Short: "Delete a user (name or id)", Args: cobra.ExactArgs(1)}
	output := outputFlag(cmd, "table", "json")
	dial := a.apiFlag(cmd)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		return a.userAction(dial, output, args[0], http.MethodDelete, "", nil)
	}
	return cmd
}

func (a *app) usersRoleCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "role USER admin|viewer", Short: "Change a user's role", Args: cobra.ExactArgs(2)}
	output := outputFlag(cmd, "table", "json")
	dial := a.apiFlag(cmd)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if args[1] != "admin" && args[1] != "viewer" {
			return usageErrf("invalid role '%s': use admin or viewer", args[1])
		}
		return a.userAction(dial, output, args[0], http.MethodPut, "/role", map[string]string{"role": args[1]})
	}
	return cmd
}

func (a *app) usersPasswdCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "passwd [USER]",
		Short: "Change your own password, or (admin) reset USER's password",
		Args:  cobra.MaximumNArgs(1),
	}
	output := outputFlag(cmd, "table", "json")
	dial := a.apiFlag(cmd)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if len(args) == 1 {
			pw, err := a.readSecret("New password for " + args[0] + ": ")
			if err != nil {
				return err
			}
			return a.userAction(dial, output, args[0], http.MethodPut, "/reset-password", map[string]string{"new_password": pw})
		}
		format, err := output()
		if err != nil {
			return err
		}
		c, err := dial()
		if err != nil {
			return err
		}
		old, err := a.readSecret("Current password: ")
		if err != nil {
			return err
		}
		pw, err := a.readSecret("New password: ")
		if err != nil {
			return err
		}
		ctx, cancel := ctx60()
		defer cancel()
		raw, err := c.raw(ctx, http.MethodPost, "/api/v1/auth/change-password", map[string]string{"old_password": old, "new_password": pw})
		if err != nil {
			return classify(err)
		}
		a.printMessage(format, raw)
		if format != "json" {
			fmt.Fprintln(a.stdout, "Earlier tokens are revoked: run `decnetctl login` again.")
		}
		return nil
	}
	return cmd
}

// userAction resolves USER and sends method to /config/users/{uuid}<suffix>.
func (a *app) userAction(dial func() (*v1Client, error), output func() (string, error), who, method, suffix string, body any) error {
	format, err := output()
	if err != nil {
		return err
	}
	c, err := dial()
	if err != nil {
		return err
	}
	id, err := resolveUser(c, who)
	if err != nil {
		return err
	}
	ctx, cancel := ctx60()
	defer cancel()
	raw, err := c.raw(ctx, method, "/api/v1/config/users/"+url.PathEscape(id)+suffix, body)
	if err != nil {
		return classify(err)
	}
	a.printMessage(format, raw)
	return nil
}

// printMessage prints {"message": …} as text, or the raw object for -o json.
func (a *app) printMessage(format string, raw []byte) {
	if format == "json" {
		printJSON(a.stdout, raw)
		return
	}
	var m struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &m)
	fmt.Fprintln(a.stdout, m.Message)
}
