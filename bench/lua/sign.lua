-- wrk script of bench/run: POSTs the sign form of one campaign with a unique email per request.
-- Environment (read by every thread):
--   US_SLUG     campaign slug
--   US_CSRF     value of the hidden "csrf" field of the page
--   US_COOKIE   the whole Cookie header value (us_csrf=...)
--   US_RUN      run tag; emails are  w<RUN>-<thread>-<n>@example.org  (already canonical)
--   US_RANDOM   if 1, each email starts with 8 random hex digits instead:
--               <hex8>w<RUN>-<thread>-<n>@example.org. Real signers' addresses come in no
--               order; ordered ones let every insert into the email index append, which
--               flatters the store (bench/run measures both).
--   US_ORIGIN   value for the Origin header (the server's base URL)
--   US_EMAILS   directory; each thread writes the email found in each 200 body to
--               <dir>/ok-<thread>.txt (for the exact durability check), if the body shows it
-- Counts 200 (ok_count) and everything else (other_count, with statuses in status_<code>).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local path, csrf, cookie, run, origin, emails_dir, random_prefix
local n = 0
local out = nil

function init(args)
  path = "/c/" .. os.getenv("US_SLUG") .. "/sign"
  csrf = urlencode(os.getenv("US_CSRF") or "")
  cookie = os.getenv("US_COOKIE") or ""
  run = os.getenv("US_RUN") or "0"
  origin = os.getenv("US_ORIGIN")
  emails_dir = os.getenv("US_EMAILS")
  random_prefix = os.getenv("US_RANDOM") == "1"
  math.randomseed(os.time() * 1000 + tid)
  if emails_dir ~= nil and emails_dir ~= "" then
    out = io.open(emails_dir .. "/ok-" .. tid .. ".txt", "w")
  end
end

function request()
  n = n + 1
  local email = "w" .. run .. "-" .. tid .. "-" .. n .. "@example.org"
  if random_prefix then email = string.format("%08x", math.random(0, 0x7fffffff)) .. email end
  local body = "name=Bench+Signer+" .. n .. "&email=" .. urlencode(email) ..
      "&postal_code=10115&country=DE&comment=" .. urlencode("Signed by wrk, request " .. n) ..
      "&public_name=on&wants_updates=on&csrf=" .. csrf
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }
  if origin ~= nil and origin ~= "" then headers["Origin"] = origin end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  count_response(status, body, "sign")
  if status == 200 and out ~= nil then
    local email = body:match("w" .. run .. "%-%d+%-%d+@example%.org")
    if email ~= nil then
      out:write(email, "\n")
      if ok_count % 256 == 0 then out:flush() end
    end
  end
end
