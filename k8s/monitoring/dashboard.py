"""The Grafana dashboard of Codeyard, as data: generate.py writes it to grafana-dashboard.json.

Rows of panels: the golden signals per route (traffic, errors, latency, saturation), the job
queue, pods and the warm pool, terminals, workspace sync, storage and replicas, and usage per
organization. Every query of a replica's own series is filtered by the `instance` variable and
uses `$__rate_interval`, so it suits any scrape interval. The `codeyard_org_*` series come from
shared storage, so every replica exports the same values: those panels take `max by (org)`
over the replicas, never a sum (docs/usage.md)."""

SEL = 'instance=~"$instance"'
RATE = "[$__rate_interval]"


def rate(metric, extra="", by=""):
    inner = f"rate({metric}{{{SEL}{extra}}}{RATE})"
    return f"sum by ({by}) ({inner})" if by else f"sum({inner})"


def quantile(q, metric, by=""):
    keys = f"{by}, le" if by else "le"
    return (f"histogram_quantile({q}, sum by ({keys}) "
            f"(rate({metric}_bucket{{{SEL}}}{RATE})))")


# (row title, [(panel title, unit, [(expr, legend)], description)])
ROWS = [
    ("Golden signals per route", [
        ("Requests per second by route", "reqps",
         [(rate("codeyard_http_requests_total", by="route"), "{{route}}")],
         "HTTP requests answered, by route pattern (traffic)."),
        ("5xx ratio by route", "percentunit",
         [(rate("codeyard_http_requests_total", ',status=~"5.."', by="route") + " / "
           + rate("codeyard_http_requests_total", by="route"), "{{route}}")],
         "Share of each route's answers with a 5xx status (errors)."),
        ("4xx per second by route", "reqps",
         [(rate("codeyard_http_requests_total", ',status=~"4.."', by="route"), "{{route}}")],
         "Client errors by route: refused input, missing rights, quotas."),
        ("Latency p95 by route", "s",
         [(quantile(0.95, "codeyard_http_request_duration_seconds", by="route"), "{{route}}")],
         "95th percentile of the time to answer, by route pattern (latency)."),
        ("Latency p50 by route", "s",
         [(quantile(0.5, "codeyard_http_request_duration_seconds", by="route"), "{{route}}")],
         "Median time to answer, by route pattern."),
        ("Refusals by limit", "reqps",
         [(rate("codeyard_limit_refusals_total", by="limit"), "{{limit}}")],
         "Requests refused by a quota, cap or rate limit, by configuration key (saturation)."),
    ]),
    ("Job queue", [
        ("Queue depth", "short",
         [(f"max(codeyard_jobs_queue_depth{{{SEL}}})", "queued")],
         "Jobs queued in storage, on every replica (-1: storage did not answer)."),
        ("Queue wait", "s",
         [(quantile(0.5, "codeyard_jobs_queue_wait_seconds"), "p50"),
          (quantile(0.95, "codeyard_jobs_queue_wait_seconds"), "p95")],
         "Time from a job's submission to its first claim (the alert's target: 10 s at p95)."),
        ("Run time", "s",
         [(quantile(0.5, "codeyard_jobs_run_seconds"), "p50"),
          (quantile(0.95, "codeyard_jobs_run_seconds"), "p95")],
         "Time the finishing attempt of a job ran."),
        ("Jobs finished by verdict", "ops",
         [(rate("codeyard_jobs_finished_total", by="verdict"), "{{verdict}}")],
         "Jobs finished per second, by verdict."),
        ("Retries and lost results", "ops",
         [(rate("codeyard_jobs_retries_total"), "retried"),
          (rate("codeyard_jobs_lost_total"), "lost")],
         "Claims of jobs whose lease had expired, and results dropped because the job was "
         "claimed again: workers dying or stalling."),
    ]),
    ("Pods and warm pool", [
        ("Pods and workspaces running", "short",
         [(f"sum by (instance) (codeyard_pods_running{{{SEL}}})", "pods {{instance}}"),
          (f"sum by (instance) (codeyard_workspaces_running{{{SEL}}})",
           "workspaces {{instance}}")],
         "Pods each server started and has not deleted, and workspaces whose lease it holds."),
        ("Warm pool", "short",
         [(f"sum by (instance) (codeyard_pool_size{{{SEL}}})", "ready {{instance}}")],
         "Pods ready in the warm pool for one-shot runs."),
        ("Warm pool hit ratio", "percentunit",
         [(rate("codeyard_pool_hits_total") + " / (" + rate("codeyard_pool_hits_total") + " + "
           + rate("codeyard_pool_misses_total") + ")", "hits")],
         "One-shot runs served by a ready pod, against those that found the pool empty."),
        ("Pod creation failures", "ops",
         [(rate("codeyard_pod_create_failures_total", by="instance"), "{{instance}}")],
         "Pod creations the executor refused or failed."),
        ("Seccomp kills", "short",
         [(f"sum by (instance) (increase(codeyard_seccomp_kills_total{{{SEL}}}{RATE}))",
           "{{instance}}")],
         "Processes the sandbox's seccomp filter killed (SIGSYS): attempted escapes."),
    ]),
    ("Terminals", [
        ("Connections and shells", "short",
         [(f"sum(codeyard_terminal_connections{{{SEL}}})", "connections"),
          (f"sum(codeyard_terminal_shells{{{SEL}}})", "shells")],
         "Terminal WebSocket connections, and the shells they are attached to."),
        ("Terminal output", "Bps",
         [(rate("codeyard_terminal_output_bytes_total"), "output")],
         "Bytes of terminal output read from shells."),
        ("Terminal refusals and re-auth closes", "ops",
         [(rate("codeyard_terminal_refusals_total", by="limit"), "{{limit}}"),
          (rate("codeyard_terminal_reauth_closes_total"), "token revoked or expired")],
         "Terminal connections refused by a viewer cap, and viewers closed on re-auth."),
    ]),
    ("Workspace sync", [
        ("Sync passes and failures", "ops",
         [(rate("codeyard_sync_passes_total"), "passes"),
          (rate("codeyard_sync_failures_total"), "failures")],
         "Two-way workspace sync passes, and those that ended in an error."),
        ("Sync bytes by direction", "Bps",
         [(rate("codeyard_sync_bytes_total", by="direction"), "{{direction}}")],
         "File content copied between storage and workspace pods."),
        ("Files left unstored, stops refused", "ops",
         [(rate("codeyard_sync_unstored_total"), "unstored files"),
          (rate("codeyard_workspace_stops_refused_total"), "stops refused")],
         "Pod files a sync left unstored (name, size cap, quota), and stops that kept a pod "
         "because its final sync was incomplete."),
    ]),
    ("Storage and replicas", [
        ("Storage up", "short",
         [(f"min by (instance) (codeyard_storage_up{{{SEL}}})", "{{instance}}")],
         "1 when storage answers and has room to write, per replica."),
        ("Data directory free", "percentunit",
         [(f"codeyard_data_dir_free_bytes{{{SEL}}} / codeyard_data_dir_size_bytes{{{SEL}}}",
           "{{instance}}")],
         "Free share of the file system of each replica's data directory."),
        ("Heartbeat age against the lease", "s",
         [(f"codeyard_replica_heartbeat_age_seconds{{{SEL}}}", "age {{instance}}"),
          (f"max(codeyard_replica_lease_seconds{{{SEL}}})", "lease")],
         "Seconds since each replica renewed all its workspace leases; leases lapse at the "
         "lease length."),
        ("Read cache hit ratio (SQLite)", "percentunit",
         [(rate("codeyard_storage_read_cache_hits_total") + " / ("
           + rate("codeyard_storage_read_cache_hits_total") + " + "
           + rate("codeyard_storage_read_cache_misses_total") + ")", "hits")],
         "Read statements answered from the storage's read cache."),
        ("Event subscribers", "short",
         [(f"sum by (instance) (codeyard_events_subscribers{{{SEL}}})", "{{instance}}")],
         "Open /api/v1/events subscriptions per replica."),
    ]),
    ("Usage per organization", [
        ("CPU seconds per second by organization", "short",
         [(f"max by (org) (rate(codeyard_org_cpu_seconds_total{RATE}))", "{{org}}")],
         "CPU time the executor accounted to each organization's jobs and runs (personal "
         "organizations together as _personal; past usage.metrics_max_orgs, _other)."),
        ("Wall seconds per second by organization", "short",
         [(f"max by (org) (rate(codeyard_org_wall_seconds_total{RATE}))", "{{org}}")],
         "Wall time of the same processes."),
        ("Jobs and runs per hour by organization", "short",
         [("max by (org) (increase(codeyard_org_jobs_total[1h]))", "jobs {{org}}"),
          ("max by (org) (increase(codeyard_org_runs_total[1h]))", "runs {{org}}")],
         "Jobs finished, and commands and Runs finished in workspaces, in the last hour."),
        ("Stored bytes by organization", "bytes",
         [("max by (org) (codeyard_org_stored_bytes)", "{{org}}")],
         "Bytes the organization's workspaces store now."),
    ]),
]

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panel(panel_id, title, unit, targets, description, x, y):
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 8, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"},
                    "tooltip": {"mode": "multi"}},
        "targets": [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr,
                     "legendFormat": legend} for i, (expr, legend) in enumerate(targets)],
    }


def build():
    panels, next_id, y = [], 1, 0
    for title, row_panels in ROWS:
        panels.append({"id": next_id, "type": "row", "title": title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        next_id += 1
        y += 1
        for i, (ptitle, unit, targets, description) in enumerate(row_panels):
            panels.append(panel(next_id, ptitle, unit, targets, description, (i % 3) * 8,
                                y + (i // 3) * 8))
            next_id += 1
        y += ((len(row_panels) + 2) // 3) * 8
    return {
        "uid": "codeyard-overview",
        "title": "Codeyard",
        "description": "Golden signals per route, the job queue, pods and the warm pool, "
                       "terminals, workspace sync, storage and replicas.",
        "tags": ["codeyard"],
        "timezone": "browser",
        "editable": True,
        "schemaVersion": 38,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource",
             "query": "prometheus", "current": {}, "hide": 0},
            {"name": "instance", "label": "Replica", "type": "query", "datasource": DATASOURCE,
             "query": {"query": "label_values(codeyard_process_start_time_seconds, instance)",
                       "refId": "instance"},
             "definition": "label_values(codeyard_process_start_time_seconds, instance)",
             "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
             "current": {"text": "All", "value": "$__all"}, "hide": 0},
        ]},
        "annotations": {"list": []},
        "panels": panels,
    }
