CREATE TABLE schema_migrations (
    version     integer     PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE state (
    key         text        PRIMARY KEY,
    value       jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    uuid                  uuid        PRIMARY KEY,
    username              text        NOT NULL,
    password_hash         text        NOT NULL,
    role                  text        NOT NULL DEFAULT 'viewer',
    must_change_password  boolean     NOT NULL DEFAULT false,
    tokens_valid_from     timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_users_username UNIQUE (username),
    CONSTRAINT ck_users_username_len CHECK (char_length(username) BETWEEN 1 AND 64),
    CONSTRAINT ck_users_role CHECK (role IN ('admin', 'viewer'))
);

CREATE TABLE revoked_tokens (
    jti         text        PRIMARY KEY,
    user_uuid   uuid        NOT NULL REFERENCES users (uuid) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_revoked_tokens_user_uuid  ON revoked_tokens (user_uuid);
CREATE INDEX ix_revoked_tokens_expires_at ON revoked_tokens (expires_at);

CREATE TABLE custom_services (
    name        text        PRIMARY KEY,
    image       text        NOT NULL,
    exec        jsonb       NOT NULL DEFAULT '[]'::jsonb,
    ports       integer[]   NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_custom_services_name CHECK (name ~ '^[A-Za-z0-9_-]+$'),
    CONSTRAINT ck_custom_services_exec CHECK (jsonb_typeof(exec) = 'array'),
    CONSTRAINT ck_custom_services_ports CHECK (0 < ALL (ports) AND 65536 > ALL (ports))
);

CREATE TABLE deckies (
    name                text        PRIMARY KEY,
    ip                  inet        NOT NULL,
    services            jsonb       NOT NULL,
    distro              text        NOT NULL,
    hostname            text        NOT NULL,
    archetype           text,
    nmap_os             text        NOT NULL DEFAULT 'linux',
    service_config      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    mutate_interval     integer,
    last_mutated        timestamptz,
    last_login_attempt  timestamptz,
    state               text        NOT NULL DEFAULT 'pending',
    last_error          text,
    spec_hash           text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_deckies_ip UNIQUE (ip),
    CONSTRAINT ck_deckies_name CHECK (name ~ '^[A-Za-z0-9._-]{1,128}$'),
    CONSTRAINT ck_deckies_ip_v4 CHECK (family(ip) = 4 AND masklen(ip) = 32),
    CONSTRAINT ck_deckies_services CHECK (jsonb_typeof(services) = 'array' AND jsonb_array_length(services) >= 1),
    CONSTRAINT ck_deckies_service_config CHECK (jsonb_typeof(service_config) = 'object'),
    CONSTRAINT ck_deckies_nmap_os CHECK (nmap_os IN ('linux','windows','windows_server','bsd','embedded','cisco')),
    CONSTRAINT ck_deckies_mutate_interval CHECK (mutate_interval IS NULL OR mutate_interval >= 1),
    CONSTRAINT ck_deckies_state CHECK (state IN ('pending','running','degraded','failed'))
);
CREATE INDEX ix_deckies_state ON deckies (state);

CREATE TABLE decky_lifecycle (
    id            uuid        PRIMARY KEY,
    decky_name    text        NOT NULL,
    operation     text        NOT NULL,
    status        text        NOT NULL DEFAULT 'pending',
    error         text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    CONSTRAINT ck_decky_lifecycle_operation CHECK (operation IN ('deploy','mutate','teardown')),
    CONSTRAINT ck_decky_lifecycle_status CHECK (status IN ('pending','running','succeeded','failed'))
);
CREATE INDEX ix_decky_lifecycle_decky_name ON decky_lifecycle (decky_name);
CREATE INDEX ix_decky_lifecycle_operation  ON decky_lifecycle (operation);
CREATE INDEX ix_decky_lifecycle_status     ON decky_lifecycle (status, started_at);

CREATE TABLE logs (
    id           bigserial   PRIMARY KEY,
    timestamp    timestamptz NOT NULL,
    decky        text        NOT NULL,
    service      text        NOT NULL,
    event_type   text        NOT NULL,
    attacker_ip  inet,
    raw_line     text        NOT NULL,
    fields       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    msg          text,
    ingested_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_logs_fields CHECK (jsonb_typeof(fields) = 'object')
);
CREATE INDEX ix_logs_timestamp   ON logs (timestamp DESC, id DESC);
CREATE INDEX ix_logs_decky       ON logs (decky);
CREATE INDEX ix_logs_service     ON logs (service);
CREATE INDEX ix_logs_event_type  ON logs (event_type);
CREATE INDEX ix_logs_attacker_ip ON logs (attacker_ip);
CREATE INDEX ix_logs_fields      ON logs USING gin (fields jsonb_path_ops);

CREATE TABLE attackers (
    uuid                   uuid        PRIMARY KEY,
    ip                     inet        NOT NULL,
    first_seen             timestamptz NOT NULL,
    last_seen              timestamptz NOT NULL,
    event_count            integer     NOT NULL DEFAULT 0,
    service_count          integer     NOT NULL DEFAULT 0,
    decky_count            integer     NOT NULL DEFAULT 0,
    services               jsonb       NOT NULL DEFAULT '[]'::jsonb,
    deckies                jsonb       NOT NULL DEFAULT '[]'::jsonb,
    traversal_path         text,
    is_traversal           boolean     NOT NULL DEFAULT false,
    bounty_count           integer     NOT NULL DEFAULT 0,
    credential_count       integer     NOT NULL DEFAULT 0,
    fingerprints           jsonb       NOT NULL DEFAULT '[]'::jsonb,
    commands               jsonb       NOT NULL DEFAULT '[]'::jsonb,
    country_code           varchar(2),
    country_source         varchar(16),
    asn                    bigint,
    as_name                varchar(128),
    bgp_prefix             cidr,
    asn_source             varchar(16),
    rpki_status            varchar(16),
    rpki_source            varchar(16),
    ptr_record             varchar(256),
    rotation_count         integer     NOT NULL DEFAULT 0,
    last_rotation_at       timestamptz,
    ipv6_leak_count        integer     NOT NULL DEFAULT 0,
    last_ipv6_leak_at      timestamptz,
    last_ipv6_link_local   inet,
    last_ipv6_iid_kind     varchar(16),
    last_ipv6_mac_oui      varchar(8),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_attackers_ip UNIQUE (ip)
);
CREATE INDEX ix_attackers_last_seen   ON attackers (last_seen DESC);
CREATE INDEX ix_attackers_first_seen  ON attackers (first_seen);
CREATE INDEX ix_attackers_event_count ON attackers (event_count DESC);
CREATE INDEX ix_attackers_traversal   ON attackers (is_traversal, last_seen DESC);
CREATE INDEX ix_attackers_services    ON attackers USING gin (services jsonb_path_ops);
CREATE INDEX ix_attackers_updated_at  ON attackers (updated_at);
CREATE INDEX ix_attackers_country     ON attackers (country_code);
CREATE INDEX ix_attackers_asn         ON attackers (asn);

CREATE TABLE attacker_behavior (
    attacker_uuid       uuid        PRIMARY KEY REFERENCES attackers (uuid) ON DELETE CASCADE,
    os_guess            text,
    hop_distance        integer,
    tcp_fingerprint     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    kex_order_raw       jsonb,
    ssh_client_banners  jsonb,
    retransmit_count    integer     NOT NULL DEFAULT 0,
    behavior_class      text,
    beacon_interval_s   double precision,
    beacon_jitter_pct   double precision,
    tool_guesses        jsonb,
    timing_stats        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    phase_sequence      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_attacker_behavior_class CHECK (behavior_class IS NULL OR behavior_class IN
        ('beaconing','interactive','scanning','brute_force','slow_scan','mixed','unknown'))
);
CREATE INDEX ix_attacker_behavior_updated_at ON attacker_behavior (updated_at);
CREATE INDEX ix_attacker_behavior_class      ON attacker_behavior (behavior_class);

CREATE TABLE credentials (
    id                bigserial    PRIMARY KEY,
    attacker_ip       inet,
    attacker_uuid     uuid         REFERENCES attackers (uuid) ON DELETE SET NULL,
    decky_name        text         NOT NULL,
    service           text         NOT NULL,
    principal         varchar(256),
    principal_key     varchar(256) NOT NULL DEFAULT '',
    secret_kind       varchar(32)  NOT NULL DEFAULT 'plaintext',
    secret_sha256     varchar(64)  NOT NULL,
    secret_b64        varchar(2048),
    secret_printable  varchar(4096),
    outcome           varchar(16),
    fields            jsonb        NOT NULL DEFAULT '{}'::jsonb,
    first_seen        timestamptz  NOT NULL,
    last_seen         timestamptz  NOT NULL,
    attempt_count     integer      NOT NULL DEFAULT 1,
    CONSTRAINT uq_credentials_dedup UNIQUE NULLS NOT DISTINCT
        (attacker_ip, decky_name, service, secret_kind, secret_sha256, principal_key),
    CONSTRAINT ck_credentials_sha256 CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_credentials_outcome CHECK (outcome IS NULL OR outcome IN ('success','failure','observed')),
    CONSTRAINT ck_credentials_attempts CHECK (attempt_count >= 1)
);
CREATE INDEX ix_credentials_attacker_ip       ON credentials (attacker_ip);
CREATE INDEX ix_credentials_attacker_uuid     ON credentials (attacker_uuid);
CREATE INDEX ix_credentials_decky_name        ON credentials (decky_name);
CREATE INDEX ix_credentials_secret_kind       ON credentials (secret_kind);
CREATE INDEX ix_credentials_secret_service    ON credentials (secret_sha256, service);
CREATE INDEX ix_credentials_principal_service ON credentials (principal, service);
CREATE INDEX ix_credentials_last_seen         ON credentials (last_seen DESC);

CREATE TABLE bounty (
    id           bigserial   PRIMARY KEY,
    timestamp    timestamptz NOT NULL,
    decky        text        NOT NULL,
    service      text        NOT NULL,
    attacker_ip  inet,
    bounty_type  text        NOT NULL,
    payload      jsonb       NOT NULL,
    payload_md5  text        GENERATED ALWAYS AS (md5(payload::text)) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_bounty_type CHECK (bounty_type IN ('fingerprint','ip_leak','artifact')),
    CONSTRAINT ck_bounty_payload CHECK (jsonb_typeof(payload) = 'object'),
    CONSTRAINT uq_bounty_dedup UNIQUE NULLS NOT DISTINCT (bounty_type, attacker_ip, payload_md5)
);
CREATE INDEX ix_bounty_timestamp   ON bounty (timestamp DESC, id DESC);
CREATE INDEX ix_bounty_attacker_ip ON bounty (attacker_ip);
CREATE INDEX ix_bounty_type        ON bounty (bounty_type);
CREATE INDEX ix_bounty_decky       ON bounty (decky);
