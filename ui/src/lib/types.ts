// API object shapes, exactly as spec/api.md describes them.

export interface Page<T> {
  total: number;
  limit: number;
  offset: number;
  data: T[];
}

export interface LoginResponse {
  access_token: string;
  token_type: string;
  must_change_password: boolean;
}

export interface LogRow {
  id: number;
  timestamp: string;
  decky: string;
  service: string;
  event_type: string;
  attacker_ip: string | null;
  raw_line: string;
  fields: Record<string, unknown>;
  msg: string | null;
}

export interface HistPoint {
  time: string;
  count: number;
}

export interface Stats {
  total_logs: number;
  unique_attackers: number;
  active_deckies: number;
  deployed_deckies: number;
}

export interface Health {
  status: 'healthy' | 'degraded' | 'unhealthy';
  components: Record<string, { status: 'ok' | 'failing'; detail?: string }>;
}

export interface Credential {
  id: number;
  attacker_ip: string;
  attacker_uuid: string | null;
  decky_name: string;
  service: string;
  principal: string | null;
  secret_kind: string | null;
  secret_sha256: string | null;
  secret_b64: string | null;
  secret_printable: string | null;
  outcome: string | null;
  fields: Record<string, unknown>;
  first_seen: string;
  last_seen: string;
  attempt_count: number;
}

export interface Behavior {
  os_guess: string | null;
  hop_distance: number | null;
  tcp_fingerprint: Record<string, unknown> | null;
  kex_order_raw: string[] | null;
  ssh_client_banners: string[] | null;
  retransmit_count: number | null;
  behavior_class: string | null;
  beacon_interval_s: number | null;
  beacon_jitter_pct: number | null;
  tool_guesses: string[] | null;
  timing_stats: Record<string, unknown> | null;
  phase_sequence: Record<string, unknown> | null;
  updated_at: string | null;
}

export interface Command {
  service: string;
  decky: string;
  command: string;
  timestamp: string;
}

export interface Attacker {
  uuid: string;
  ip: string;
  first_seen: string;
  last_seen: string;
  event_count: number;
  service_count: number;
  decky_count: number;
  services: string[];
  deckies: string[];
  traversal_path: string | null;
  is_traversal: boolean;
  bounty_count: number;
  credential_count: number;
  fingerprints: Record<string, unknown>[];
  commands: Command[];
  updated_at: string;
  behavior: Behavior | null;
  country_code?: string | null;
  asn?: number | null;
  as_name?: string | null;
  ptr_record?: string | null;
}

export interface BountyRow {
  id: number;
  timestamp: string;
  decky: string;
  service: string;
  attacker_ip: string;
  bounty_type: string;
  payload: Record<string, unknown>;
}

export interface AttackerDetail extends Attacker {
  service_activity: { interacted: string[]; scanned: string[] };
  ip_leaks: BountyRow[];
  ip_leaks_total: number;
}

export interface ServiceState {
  name: string;
  state: string;
}

export interface Decky {
  name: string;
  ip: string;
  mac: string;
  started_at: string | null;
  services_state: ServiceState[];
  services: string[];
  distro: string;
  hostname: string;
  archetype: string | null;
  service_config: Record<string, unknown>;
  nmap_os: string;
  mutate_interval: number | null;
  last_mutated: string | null;
  last_login_attempt: string | null;
  state: string;
  last_error: string | null;
}

export interface DeployResponse {
  message: string;
  mode: 'additive' | 'replace';
  lifecycle_ids: string[];
}

export interface LifecycleRow {
  id: string;
  decky_name: string;
  operation: string;
  status: string;
  error: string | null;
  started_at: string | null;
  updated_at: string | null;
  completed_at: string | null;
}

export interface User {
  uuid: string;
  username: string;
  role: 'admin' | 'viewer';
  must_change_password: boolean;
}

export interface Config {
  role: 'admin' | 'viewer';
  deployment_limit: number;
  global_mutation_interval: string;
  users?: User[];
  developer_mode?: boolean;
}

/** A frame of the SSE stream (`data:` JSON of an `event: message`). */
export type StreamFrame =
  | { type: 'stats'; data: Stats }
  | { type: 'histogram'; data: HistPoint[] }
  | { type: 'logs'; data: LogRow[] }
  | { type: 'error'; message: string };
