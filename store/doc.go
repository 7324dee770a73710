// Package store owns the PostgreSQL schema (embedded migrations), the pgx pool, the COPY writer and the queries of the API.
package store
