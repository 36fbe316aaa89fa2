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
dofile(here .. "form.lua")

local random_prefix, pattern, email_run
local n = 0

function init(args)
  form_init()
  random_prefix = os.getenv("US_RANDOM") == "1"
  math.randomseed(os.time() * 1000 + tid)
  pattern = "w" .. form_run .. "%-%d+%-%d+@example%.org"
  email_run = "w" .. urlencode(form_run) .. "-"
end

function request()
  n = n + 1
  -- The email  [<hex8>]w<RUN>-<thread>-<n>@example.org  url-encoded ("@" is %40; the run tag
  -- is encoded once in init).
  local email = email_run .. tid .. "-" .. n .. "%40example.org"
  if random_prefix then email = string.format("%08x", math.random(0, 0x7fffffff)) .. email end
  return form_request("name=Bench+Signer+" .. n .. "&email=" .. email ..
      "&postal_code=10115&country=DE&comment=Signed%20by%20wrk%2C%20request%20" .. n ..
      "&public_name=on&wants_updates=on")
end

function response(status, headers, body)
  form_response(status, headers, body, "sign", pattern)
end
