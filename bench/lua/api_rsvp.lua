-- wrk script of bench/run: RSVPs to an event's time through the OSDI API's
-- record_attendance_helper as a trusted integration (a valid OSDI-API-Token), each accepted at
-- once in a transaction that counts the time's places first (capacity enforced), durable before
-- the 200. A unique email per request.
-- Environment (read by every thread):
--   US_API_PATH  path to POST to, /api/v2/events/<time id>/record_attendance_helper
--   US_TOKEN     the API token
--   US_RUN       run tag; emails are  r<RUN>-<thread>-<n>@example.org
-- Counts 200 (ok_count) and everything else (other_count, with statuses in status_<code>).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local path, run, token
local n = 0

function init(args)
  path = os.getenv("US_API_PATH")
  run = os.getenv("US_RUN") or "0"
  token = os.getenv("US_TOKEN")
  assert(token ~= nil and token ~= "", "api_rsvp.lua: no US_TOKEN")
end

function request()
  n = n + 1
  local email = "r" .. run .. "-" .. tid .. "-" .. n .. "@example.org"
  local body = '{"person":{"given_name":"Bench","family_name":"Marcher ' .. n ..
      '","email_addresses":[{"address":"' .. email .. '"}]}}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["OSDI-API-Token"] = token,
  }
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  count_response(status, body, "api_rsvp")
end
