-- wrk script of bench/run: verified-employee signing (issue 3). POSTs the sign form of a
-- campaign whose group US_GROUP is proven by an email domain, with a unique work address per
-- request, so each request is a fresh signature: pending, its name sealed or not as chosen, and
-- a neutral "verify" mail queued to the work address.
-- Environment (read by every thread):
--   US_SLUG        campaign slug
--   US_CSRF        value of the hidden "csrf" field of the page
--   US_COOKIE      the whole Cookie header value (us_csrf=...)
--   US_RUN         run tag; work addresses are  v<RUN>-<thread>-<n>@<US_DOMAIN>, personal ones
--                  p<RUN>-<thread>-<n>@example.org  (both already canonical)
--   US_ORIGIN      value for the Origin header (the server's base URL)
--   US_GROUP       the group's key (staff)
--   US_DOMAIN      the group's email domain (acme.example)
--   US_VISIBILITY  "mix" (default): request n chooses public, private, sealed-<US_SEAL>,
--                  anonymous in turn; or one of public, private, sealed, anonymous for every
--                  request
--   US_SEAL        the seal threshold the campaign offers (for sealed-N)
--   US_EMAILS      directory; each thread writes the work address found in each 200 body to
--                  <dir>/ok-<thread>.txt (for the exact durability check), if the body shows it
-- Counts 200 (ok_count) and everything else (other_count, with the statuses seen).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
dofile(here .. "form.lua")

local group, domain, pattern, run_enc, domain_enc
local choices = {}
local n = 0

function init(args)
  form_init()
  group = urlencode(os.getenv("US_GROUP") or "staff")
  domain = os.getenv("US_DOMAIN") or "acme.example"
  local seal = os.getenv("US_SEAL") or "1000000"
  local v = os.getenv("US_VISIBILITY") or "mix"
  if v == "mix" or v == "" then
    choices = {"public", "private", "sealed-" .. seal, "anonymous"}
  elseif v == "sealed" then
    choices = {"sealed-" .. seal}
  else
    choices = {v}
  end
  pattern = "v" .. form_run .. "%-%d+%-%d+@" .. domain:gsub("%p", "%%%0")
  run_enc = urlencode(form_run)
  domain_enc = urlencode(domain)
  for i, c in ipairs(choices) do choices[i] = urlencode(c) end
end

function request()
  n = n + 1
  -- The run tag and the domain are encoded once in init; "@" is %40.
  local suffix = run_enc .. "-" .. tid .. "-" .. n
  local visibility = choices[(n - 1) % #choices + 1]
  return form_request("group=" .. group ..
      "&work_email=v" .. suffix .. "%40" .. domain_enc .. "&visibility=" .. visibility ..
      "&name=Bench+Employee+" .. n ..
      "&email=p" .. suffix .. "%40example.org" ..
      "&postal_code=10115&country=DE&comment=Signed%20by%20wrk%2C%20request%20" .. n ..
      "&wants_updates=on")
end

function response(status, headers, body)
  form_response(status, headers, body, "verified_sign", pattern)
end
