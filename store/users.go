package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUserExists is returned by CreateUser when the username is taken.
var ErrUserExists = errors.New("username already exists")

// User is one users row.
type User struct {
	UUID               string     `json:"uuid"`
	Username           string     `json:"username"`
	PasswordHash       string     `json:"-"`
	Role               string     `json:"role"`
	MustChangePassword bool       `json:"must_change_password"`
	TokensValidFrom    *time.Time `json:"-"`
}

const userCols = `uuid::text, username, password_hash, role, must_change_password, tokens_valid_from`

func scanUser(r pgx.Row) (User, error) {
	var u User
	err := r.Scan(&u.UUID, &u.Username, &u.PasswordHash, &u.Role, &u.MustChangePassword, &u.TokensValidFrom)
	return u, err
}

// UserByUUID returns the user with that uuid; found is false when there is none (or id is not a UUID).
func (s *Store) UserByUUID(ctx context.Context, id string) (User, bool, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return User{}, false, nil
	}
	usr, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE uuid = $1`, u))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("user %s: %w", id, err)
	}
	return usr, true, nil
}

// UserByName returns the user with that (case-sensitive) username; found is false when there is none.
func (s *Store) UserByName(ctx context.Context, name string) (User, bool, error) {
	usr, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, clean(name)))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("user by name: %w", err)
	}
	return usr, true, nil
}

// ListUsers returns every user ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// CreateUser inserts a user with a new v4 uuid; ErrUserExists when the username is taken.
func (s *Store) CreateUser(ctx context.Context, username, hash, role string, mustChange bool) (User, error) {
	u := User{UUID: uuid.NewString(), Username: username, PasswordHash: hash, Role: role, MustChangePassword: mustChange}
	_, err := s.pool.Exec(ctx, `INSERT INTO users (uuid, username, password_hash, role, must_change_password)
VALUES ($1, $2, $3, $4, $5)`, u.UUID, clean(username), hash, role, mustChange)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return User{}, ErrUserExists
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", username, err)
	}
	return u, nil
}

// SetPassword stores a new hash and must_change_password; bump sets tokens_valid_from = now (bulk
// revocation). It reports whether the user exists.
func (s *Store) SetPassword(ctx context.Context, id, hash string, mustChange, bump bool) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2, must_change_password = $3,
       tokens_valid_from = CASE WHEN $4 THEN now() ELSE tokens_valid_from END
 WHERE uuid = $1::uuid`, id, hash, mustChange, bump)
	if err != nil {
		return false, fmt.Errorf("set password of %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetRole changes a user's role and sets tokens_valid_from = now. It reports whether the user exists.
func (s *Store) SetRole(ctx context.Context, id, role string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET role = $2, tokens_valid_from = now() WHERE uuid = $1::uuid`, id, role)
	if err != nil {
		return false, fmt.Errorf("set role of %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteUser removes a user (its revoked tokens cascade). It reports whether the user existed.
func (s *Store) DeleteUser(ctx context.Context, id string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE uuid = $1::uuid`, id)
	if err != nil {
		return false, fmt.Errorf("delete user %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RevokeToken purges expired revocations and records jti as revoked until expires.
func (s *Store) RevokeToken(ctx context.Context, jti, userUUID string, expires time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM revoked_tokens WHERE expires_at < now()`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO revoked_tokens (jti, user_uuid, expires_at) VALUES ($1, $2::uuid, $3)
ON CONFLICT (jti) DO NOTHING`, clean(jti), userUUID, expires.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// IsRevoked reports whether jti was revoked.
func (s *Store) IsRevoked(ctx context.Context, jti string) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)`, clean(jti)).Scan(&ok); err != nil {
		return false, fmt.Errorf("revoked token lookup: %w", err)
	}
	return ok, nil
}
