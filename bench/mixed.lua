-- The mixed workload's reader: walks the request list that bench/mixed.py wrote.
--   wrk -t2 -c16 -d<s>s --latency -s bench/mixed.lua <url> -- <plan file> <threads> <log prefix>
-- The plan file has lines
--   kind <number> <name>
--   auth <key> <header name>: <value>     (a viewer's token or session cookie)
--   get <kind number> <auth key or -> <path>
-- Each thread starts at its own place in the list and goes round it.
--
-- The latency of each request by kind: wrk's own statistics do not tell kinds apart,
-- and its hooks do not say which request a response answers. So every request
-- carries an X-Request-ID (thread.sequence), which the app echoes (app/observability.py);
-- the response hook looks up its kind and start time and writes one line
--   <kind number> <status> <microseconds>
-- to the thread's log file (<log prefix><thread id>), line-buffered so that nothing is
-- lost when wrk stops. bench/mixed.py reads those files afterwards for exact
-- percentiles. A response without a known id is logged with kind 0.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local report = dofile(here .. "report.lua")

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } mixed_timespec;
int clock_gettime(int clock_id, mixed_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("mixed_timespec")

local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
   return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

-- Answers that are neither 2xx nor 3xx (report.lua's count reads this global).
non2xx = 0
local requests = {}
local position = 0
local sequence = 0
local pending = {}
local log

function setup(thread)
   report.setup(thread)
end

local function read_plan(path)
   local file = assert(io.open(path, "r"), "mixed.lua: cannot read " .. tostring(path))
   local auth = {}
   for line in file:lines() do
      local tag, rest = line:match("^(%S+) (.*)$")
      if tag == "auth" then
         local key, name, value = rest:match("^(%S+) ([^:]+): (.*)$")
         auth[key] = { [name] = value }
      elseif tag == "get" then
         local kind, key, path = rest:match("^(%d+) (%S+) (%S+)$")
         local headers = key ~= "-" and assert(auth[key], "mixed.lua: no auth " .. key) or {}
         -- Formatted once; the id header goes before the blank line that ends it.
         local text = wrk.format("GET", path, headers)
         table.insert(requests, { kind = kind, head = text:sub(1, -3) })
      end
   end
   file:close()
   assert(#requests > 0, "mixed.lua: no requests in " .. path)
end

function init(args)
   read_plan(args[1])
   local threads = tonumber(args[2])
   position = math.floor((id - 1) * #requests / threads)
   log = assert(io.open(args[3] .. id, "w"))
   log:setvbuf("line")
end

function request()
   position = position % #requests + 1
   sequence = sequence + 1
   local entry = requests[position]
   local request_id = id .. "." .. sequence
   pending[request_id] = { entry.kind, now_us() }
   return entry.head .. "X-Request-ID: " .. request_id .. "\r\n\r\n"
end

function response(status, headers, body)
   local finished = now_us()
   if status < 200 or status > 399 then
      non2xx = non2xx + 1
   end
   local request_id = headers["X-Request-ID"]
   local started = request_id and pending[request_id]
   if not started then
      log:write(string.format("0 %d 0\n", status))
      return
   end
   pending[request_id] = nil
   log:write(string.format("%s %d %d\n", started[1], status, finished - started[2]))
end

function done(summary, latency, requests)
   report.done(summary, latency, requests)
end
