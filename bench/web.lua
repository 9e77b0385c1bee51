-- wrk's `done` hook for bench/web.py: one line of JSON that Python parses, with the
-- percentiles wrk's own --latency report lacks (p95). Latencies are microseconds in wrk;
-- written here in milliseconds.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'NEEDLE-WRK {"requests": %d, "seconds": %.6f, "bytes": %d, '
      .. '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "mean_ms": %.3f, "max_ms": %.3f, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.mean / 1e3, latency.max / 1e3,
    e.connect, e.read, e.write, e.status, e.timeout))
end
