package redis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// info renders INFO for a section ("" or "default"/"all"/"everything" = every section this emulator knows).
func (cn *conn) info(section string) string {
	s := cn.s
	now := time.Now()
	up := s.uptime0 + now.Sub(s.started)
	all := section == "" || section == "default" || section == "all" || section == "everything"
	var b strings.Builder
	add := func(name string, lines ...string) {
		if !all && section != name {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + strings.ToUpper(name[:1]) + name[1:] + "\r\n")
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
	}
	server := []string{
		"redis_version:" + s.version, "redis_git_sha1:00000000", "redis_git_dirty:0", "redis_build_id:" + s.buildID,
		"redis_mode:standalone", "os:" + s.osString, "arch_bits:64",
	}
	if s.modern {
		server = append(server, "monotonic_clock:POSIX clock_gettime")
	}
	server = append(server, "multiplexing_api:epoll", "atomicvar_api:c11-builtin", "gcc_version:"+s.gcc,
		fmt.Sprintf("process_id:%d", s.pid))
	if strings.HasPrefix(s.version, "7") {
		server = append(server, "process_supervised:systemd")
	}
	server = append(server, "run_id:"+s.runID, fmt.Sprintf("tcp_port:%d", Port),
		fmt.Sprintf("server_time_usec:%d", now.UnixMicro()), fmt.Sprintf("uptime_in_seconds:%d", int64(up.Seconds())),
		fmt.Sprintf("uptime_in_days:%d", int64(up.Hours()/24)), "hz:10", "configured_hz:10",
		fmt.Sprintf("lru_clock:%d", now.Unix()%(1<<24)), "executable:/usr/bin/redis-server",
		"config_file:/etc/redis/redis.conf", "io_threads_active:0")
	add("server", server...)
	add("clients", "connected_clients:1", "cluster_connections:0", "maxclients:10000", "client_recent_max_input_buffer:20480",
		"client_recent_max_output_buffer:0", "blocked_clients:0", "tracking_clients:0", "clients_in_timeout_table:0")
	mem := s.usedMem + int64(cn.bytes)
	add("memory", fmt.Sprintf("used_memory:%d", mem), "used_memory_human:"+human(mem),
		fmt.Sprintf("used_memory_rss:%d", mem*13/10), "used_memory_rss_human:"+human(mem*13/10),
		fmt.Sprintf("used_memory_peak:%d", mem*11/10), "used_memory_peak_human:"+human(mem*11/10),
		"used_memory_lua:31744", "maxmemory:"+cn.config["maxmemory"], "maxmemory_human:0B",
		"maxmemory_policy:"+cn.config["maxmemory-policy"], "mem_fragmentation_ratio:1.30", "mem_allocator:jemalloc-5.3.0")
	add("persistence", "loading:0", "async_loading:0", "rdb_changes_since_last_save:3", "rdb_bgsave_in_progress:0",
		fmt.Sprintf("rdb_last_save_time:%d", now.Add(-17*time.Minute).Unix()), "rdb_last_bgsave_status:ok",
		"aof_enabled:0", "aof_rewrite_in_progress:0", "aof_last_bgrewrite_status:ok")
	r := rand.New(rand.NewPCG(uint64(s.pid), 7))
	conns := int64(up.Seconds()/40) + int64(r.IntN(500))
	add("stats", fmt.Sprintf("total_connections_received:%d", conns),
		fmt.Sprintf("total_commands_processed:%d", conns*37), "instantaneous_ops_per_sec:2",
		"rejected_connections:0", "expired_keys:1532", "evicted_keys:0", "keyspace_hits:88712", "keyspace_misses:9301")
	add("replication", "role:master", "connected_slaves:0", "master_failover_state:no-failover",
		"master_replid:"+s.runID[:40], "master_replid2:0000000000000000000000000000000000000000",
		"master_repl_offset:0", "second_repl_offset:-1", "repl_backlog_active:0")
	add("cpu", fmt.Sprintf("used_cpu_sys:%.6f", up.Hours()*1.7), fmt.Sprintf("used_cpu_user:%.6f", up.Hours()*2.3),
		"used_cpu_sys_children:0.004120", "used_cpu_user_children:0.001930")
	add("cluster", "cluster_enabled:0")
	var ks []string
	dbs := make([]int, 0, len(cn.dbs))
	for db := range cn.dbs {
		dbs = append(dbs, db)
	}
	slices.Sort(dbs)
	for _, db := range dbs {
		n, exp := 0, 0
		for _, e := range cn.dbs[db] {
			if e.expire.IsZero() || now.Before(e.expire) {
				n++
				if !e.expire.IsZero() {
					exp++
				}
			}
		}
		if n > 0 {
			ks = append(ks, fmt.Sprintf("db%d:keys=%d,expires=%d,avg_ttl=0", db, n, exp))
		}
	}
	add("keyspace", ks...)
	return b.String()
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
