-- wrk script for commands-durable over HTTP: every request creates a new integration (a durable
-- command: validation, decision, events, views, one synced group commit).
-- Environment: PITLOG_BENCH_KEY.
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  thread:set("key", os.getenv("PITLOG_BENCH_KEY"))
  threads[#threads + 1] = thread
end

function init(args)
  counter, created, failed = 0, 0, 0
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Actor-User"] = "bench-admin"
  wrk.headers["X-Actor-Role"] = "admin"
end

function request()
  counter = counter + 1
  local account = "bench-" .. thread_id .. "-" .. (counter % 64)
  local body = '{"name":"bench app ' .. counter .. '","scopes":["contacts.readonly","contacts.write"]}'
  return wrk.format("POST", "/v1/accounts/" .. account .. "/integrations", nil, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else failed = failed + 1 end
end

function done(summary, latency, requests)
  local c, f = 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); f = f + t:get("failed") end
  io.write(string.format("wrk: p50_ms=%.3f p99_ms=%.3f created=%d failed=%d\n",
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000, c, f))
end
