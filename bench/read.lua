-- The read scenarios: wrk sends the URL (and any -H header) as it is; this
-- script only counts non-2xx answers and prints the BENCH_JSON line (report.lua).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local report = dofile(here .. "report.lua")

non2xx = 0

function setup(thread)
   report.setup(thread)
end

function response(status, headers, body)
   report.count(status)
end

function done(summary, latency, requests)
   report.done(summary, latency, requests)
end
