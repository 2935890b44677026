-- The write mix: signed-in users create articles, comment, favorite and
-- unfavorite, chosen at random on every request:
--   20% POST   /api/articles                    (titles repeat: slug suffixes get used)
--   30% POST   /api/articles/<slug>/comments
--   25% POST   /api/articles/<slug>/favorite
--   25% DELETE /api/articles/<slug>/favorite
-- wrk ... -s bench/write_mix.lua <url> -- <config file>
-- The config file (written by run.py) has one "token <jwt>" line per user and one
-- "slug <slug>" line per target article. wrk's -d bounds the run in time.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local report = dofile(here .. "report.lua")

non2xx = 0
created, commented, favorited, unfavorited = 0, 0, 0, 0
local tokens, slugs = {}, {}
local counter = 0

function setup(thread)
   report.setup(thread)
end

function init(args)
   local file = assert(io.open(args[1], "r"), "write_mix.lua: cannot read " .. tostring(args[1]))
   for line in file:lines() do
      local kind, value = line:match("^(%S+) (.+)$")
      if kind == "token" then
         table.insert(tokens, value)
      elseif kind == "slug" then
         table.insert(slugs, value)
      end
   end
   file:close()
   assert(#tokens > 0 and #slugs > 0, "write_mix.lua: no tokens or no slugs in " .. args[1])
   -- Each thread its own, reproducible sequence.
   math.randomseed(1000 + id)
end

local function headers(token)
   return {
      ["Authorization"] = "Token " .. token,
      ["Content-Type"] = "application/json",
   }
end

function request()
   counter = counter + 1
   local token = tokens[math.random(#tokens)]
   local slug = slugs[math.random(#slugs)]
   local roll = math.random(100)
   if roll <= 20 then
      created = created + 1
      local body = string.format(
         '{"article": {"title": "Write mix article %d", "description": "Written by the benchmark",'
            .. ' "body": "Thread %d, request %d.\\n\\nSome *markdown* text.",'
            .. ' "tagList": ["benchmark", "write-mix"]}}',
         counter % 25, id, counter)
      return wrk.format("POST", "/api/articles", headers(token), body)
   elseif roll <= 50 then
      commented = commented + 1
      local body = string.format(
         '{"comment": {"body": "Comment %d from thread %d of the write mix."}}', counter, id)
      return wrk.format("POST", "/api/articles/" .. slug .. "/comments", headers(token), body)
   elseif roll <= 75 then
      favorited = favorited + 1
      return wrk.format("POST", "/api/articles/" .. slug .. "/favorite", headers(token))
   else
      unfavorited = unfavorited + 1
      return wrk.format("DELETE", "/api/articles/" .. slug .. "/favorite", headers(token))
   end
end

function response(status, headers, body)
   report.count(status)
end

function done(summary, latency, requests)
   report.done(summary, latency, requests, { "created", "commented", "favorited", "unfavorited" })
end
