-- wrk script of bench/run: records signatures through the OSDI API as a trusted integration
-- (a valid OSDI-API-Token), which counts each one at once, so every 200 appends a "confirm"
-- leaf to the signature log when the log is on. A unique email per request.
-- Environment (read by every thread):
--   US_API_PATH  path and query to POST to, /api/v2/petitions/<uuid>/signatures?background_request=true
--   US_TOKEN     the API token (bench/run lifts the per-token limit for the run)
--   US_RUN       run tag; emails are  a<RUN>-<thread>-<n>@example.org  (already canonical)
-- Counts 200 (ok_count) and everything else (other_count, with statuses in status_<code>).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local path, run, token
local n = 0

function init(args)
  path = os.getenv("US_API_PATH")
  run = os.getenv("US_RUN") or "0"
  token = os.getenv("US_TOKEN")
  assert(token ~= nil and token ~= "", "api_sign.lua: no US_TOKEN")
end

function request()
  n = n + 1
  local email = "a" .. run .. "-" .. tid .. "-" .. n .. "@example.org"
  local body = '{"person":{"given_name":"Bench","family_name":"Signer ' .. n ..
      '","email_addresses":[{"address":"' .. email .. '"}]}}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["OSDI-API-Token"] = token,
  }
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  count_response(status, body, "api_sign")
end
