-- Shared by the wrk scripts of bench/run that POST a campaign's sign form (sign.lua,
-- verified_sign.lua); loaded with dofile after report.lua, whose count_response, ok_count and
-- tid it uses. Reads the common environment (per thread, in form_init):
--   US_SLUG     campaign slug
--   US_CSRF     value of the hidden "csrf" field of the page
--   US_COOKIE   the whole Cookie header value (us_csrf=...)
--   US_RUN      run tag (form_run)
--   US_ORIGIN   value for the Origin header (the server's base URL), if set
--   US_EMAILS   directory; if set, form_response writes the address found in each 200 body to
--               <dir>/ok-<thread>.txt (for bench/run's exact durability check)

function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local path, csrf, cookie, origin
local out = nil
form_run = "0"

-- Reads the environment above; call from init.
function form_init()
  path = "/c/" .. os.getenv("US_SLUG") .. "/sign"
  csrf = urlencode(os.getenv("US_CSRF") or "")
  cookie = os.getenv("US_COOKIE") or ""
  form_run = os.getenv("US_RUN") or "0"
  origin = os.getenv("US_ORIGIN")
  local emails_dir = os.getenv("US_EMAILS")
  if emails_dir ~= nil and emails_dir ~= "" then
    out = io.open(emails_dir .. "/ok-" .. tid .. ".txt", "w")
  end
end

-- The POST of the sign form with the given fields (url-encoded, without csrf, which is added).
function form_request(fields)
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }
  if origin ~= nil and origin ~= "" then headers["Origin"] = origin end
  return wrk.format("POST", path, headers, fields .. "&csrf=" .. csrf)
end

-- Counts the response (as label) and, for a 200 with US_EMAILS set, records the first match of
-- the Lua pattern email_pattern in the body.
function form_response(status, body, label, email_pattern)
  count_response(status, body, label)
  if status == 200 and out ~= nil then
    local email = body:match(email_pattern)
    if email ~= nil then
      out:write(email, "\n")
      if ok_count % 256 == 0 then out:flush() end
    end
  end
end
