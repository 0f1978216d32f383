-- wrk script for introspect-http: POST /v1/introspect rotating through valid, expired (rotated
-- out with "now") and never-issued tokens, 70/10/20, read once from the fixture's named pipe.
-- Environment: PITLOG_BENCH_KEY (service key), PITLOG_BENCH_TOKENS (the pipe).
local shared = nil
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  if shared == nil then
    local valid, expired, unknown = {}, {}, {}
    for line in io.lines(os.getenv("PITLOG_BENCH_TOKENS")) do
      local kind, token = line:match("^(%a+) (%S+)$")
      if kind == "valid" then valid[#valid + 1] = token
      elseif kind == "expired" then expired[#expired + 1] = token
      else unknown[#unknown + 1] = token end
    end
    shared = { valid = table.concat(valid, ","), expired = table.concat(expired, ","),
               unknown = table.concat(unknown, ",") }
  end
  thread:set("valid_csv", shared.valid)
  thread:set("expired_csv", shared.expired)
  thread:set("unknown_csv", shared.unknown)
  thread:set("key", os.getenv("PITLOG_BENCH_KEY"))
end

local function split(csv)
  local out = {}
  for t in csv:gmatch("[^,]+") do out[#out + 1] = t end
  return out
end

function init(args)
  valid, expired, unknown = split(valid_csv), split(expired_csv), split(unknown_csv)
  counter, active, inactive, bad = 0, 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local pick = counter % 10
  local token
  if pick < 7 then token = valid[(counter % #valid) + 1]
  elseif pick < 8 then token = expired[(counter % #expired) + 1]
  else token = unknown[(counter % #unknown) + 1] end
  return wrk.format(nil, nil, nil, '{"token":"' .. token .. '"}')
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1
  elseif body:find('"active":true', 1, true) then active = active + 1
  elseif body == '{"active":false}' then inactive = inactive + 1
  else bad = bad + 1 end
end

function done(summary, latency, requests)
  local a, i, b = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("active"); i = i + t:get("inactive"); b = b + t:get("bad")
  end
  -- 7 in 10 requests carry a valid token; every other answer must be exactly {"active":false}.
  local total = a + i + b
  local share = total > 0 and a / total or 0
  local correct = (b == 0 and math.abs(share - 0.7) < 0.01) and "yes" or "NO"
  io.write(string.format("wrk: p50_ms=%.3f p99_ms=%.3f answers=%d active_share=%.3f bad=%d correct=%s\n",
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                         total, share, b, correct))
end
