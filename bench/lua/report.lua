-- Shared by every wrk run of bench/run: numbers the threads and prints one machine-readable
-- summary line at the end:
--   BENCH requests=N duration_us=D rps=R ok=K non2xx=M p50_us=.. p99_us=.. max_us=.. errors=E
-- ok/non2xx come from the threads' own counts when the script counts responses (sign.lua),
-- otherwise from wrk's summary (requests minus status errors).

local threads = {}
local next_tid = 0

-- For scripts that count responses themselves: a 200 adds to ok_count, anything else to
-- other_count and the list of statuses seen (the first three are shown on stderr as label).
ok_count = 0
other_count = 0
statuses = ""
local other_by_status = {}
function count_response(status, body, label)
  if status == 200 then
    ok_count = ok_count + 1
    return
  end
  other_count = other_count + 1
  local k = tostring(status)
  if other_by_status[k] == nil then
    other_by_status[k] = 0
    statuses = statuses .. " " .. k
  end
  other_by_status[k] = other_by_status[k] + 1
  if other_count <= 3 then
    io.stderr:write(label, ": status ", status, ": ", body:sub(1, 300):gsub("%s+", " "), "\n")
  end
end

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local ok, other, counted, codes = 0, 0, false, ""
  for _, t in ipairs(threads) do
    local k = t:get("ok_count")
    if k ~= nil then
      counted = true
      ok = ok + k
      other = other + (t:get("other_count") or 0)
      codes = codes .. (t:get("statuses") or "")
    end
  end
  if not counted then
    other = summary.errors.status
    ok = summary.requests - other
  end
  local e = summary.errors
  local code_list = codes:gsub("^%s+", ""):gsub("%s+", ",")
  if code_list == "" then code_list = "-" end
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f ok=%d ok_rps=%.1f non2xx=%d p50_us=%d p90_us=%d " ..
    "p99_us=%d max_us=%d mean_us=%.0f errors_connect=%d errors_read=%d errors_write=%d " ..
    "errors_timeout=%d bytes=%d other_statuses=%s\n",
    summary.requests, summary.duration, summary.requests / secs, ok, ok / secs, other,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.timeout, summary.bytes, code_list))
end
