-- Shared by read.lua and write_mix.lua (loaded with dofile): counts every answer
-- that is not 2xx, per thread, and prints one machine-readable line at the end:
--   BENCH_JSON {"requests": ..., "non2xx": ..., "socket_errors": {...}, ...}
-- wrk's own "Non-2xx or 3xx responses" line counts only statuses above 399.

local report = {}
local threads = {}

function report.setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function report.count(status)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

local function percentile_ms(latency, p)
   return latency:percentile(p) / 1000.0
end

function report.done(summary, latency, requests, extra_counters)
   local non2xx_total = 0
   local counters = {}
   for _, thread in ipairs(threads) do
      non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
      for _, name in ipairs(extra_counters or {}) do
         counters[name] = (counters[name] or 0) + (thread:get(name) or 0)
      end
   end
   local extra = {}
   for _, name in ipairs(extra_counters or {}) do
      table.insert(extra, string.format('"%s": %d', name, counters[name]))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, '
         .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
         .. '"latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f, "mean": %.3f}, '
         .. '"ops": {%s}}\n',
      summary.requests, summary.duration, summary.bytes, non2xx_total,
      e.connect, e.read, e.write, e.timeout,
      percentile_ms(latency, 50.0), percentile_ms(latency, 90.0), percentile_ms(latency, 99.0),
      latency.max / 1000.0, latency.mean / 1000.0,
      table.concat(extra, ", ")))
end

return report
