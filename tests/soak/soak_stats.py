"""Figures of the soak: percentiles per route, and the growth test (the rise of a
least-squares line, so one spike or one collection neither fails nor hides a trend)."""


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fit_rise(points):
    """The rise over the points' time span of the least-squares line through (t, y) points;
    0 for fewer than three points."""
    if len(points) < 3:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var_t = sum((t - mean_t) ** 2 for t, _ in points)
    if var_t == 0:
        return 0.0
    slope = sum((t - mean_t) * (y - mean_y) for t, y in points) / var_t
    return slope * (points[-1][0] - points[0][0])


def route_table(latencies, statuses, duration_s):
    """{route: {count, per_s, p50_ms, p99_ms, max_ms, statuses}} from {route: [seconds]}."""
    table = {}
    for route in sorted(set(latencies) | set(statuses)):
        values = latencies.get(route, [])
        row = {"count": len(values), "per_s": round(len(values) / max(duration_s, 1e-9), 1),
               "statuses": statuses.get(route, {})}
        if values:
            row["p50_ms"] = round(percentile(values, 50) * 1000, 1)
            row["p99_ms"] = round(percentile(values, 99) * 1000, 1)
            row["max_ms"] = round(max(values) * 1000, 1)
        table[route] = row
    return table
