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

-- Percent-encodes everything but unreserved characters (for values that vary; the scripts spell
-- out the encoding of their fixed text, so that no request runs a gsub per character).
function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local head, csrf_field
local out = nil
form_run = "0"

-- Reads the environment above; call from init.
function form_init()
  local path = "/c/" .. os.getenv("US_SLUG") .. "/sign"
  csrf_field = "&csrf=" .. urlencode(os.getenv("US_CSRF") or "")
  form_run = os.getenv("US_RUN") or "0"
  -- The request up to its Content-Length value, made once: what wrk.format would make (Host
  -- from the URL given to wrk), without rebuilding it per request. The load generator shares
  -- the server's CPUs, so every microsecond it spends per request is taken from the server.
  head = "POST " .. path .. " HTTP/1.1\r\nHost: " .. wrk.headers["Host"] ..
      "\r\nContent-Type: application/x-www-form-urlencoded\r\nCookie: " ..
      (os.getenv("US_COOKIE") or "") .. "\r\n"
  local origin = os.getenv("US_ORIGIN")
  if origin ~= nil and origin ~= "" then head = head .. "Origin: " .. origin .. "\r\n" end
  head = head .. "Content-Length: "
  local emails_dir = os.getenv("US_EMAILS")
  if emails_dir ~= nil and emails_dir ~= "" then
    out = io.open(emails_dir .. "/ok-" .. tid .. ".txt", "w")
  end
end

-- The POST of the sign form with the given fields (url-encoded, without csrf, which is added).
function form_request(fields)
  local body = fields .. csrf_field
  return head .. #body .. "\r\n\r\n" .. body
end

-- Counts the response (as label) and, for a 200 with US_EMAILS set, records the first match of
-- the Lua pattern email_pattern in the body. The sign form answers a signing with a 303 to the
-- "check your email" page (post/redirect/get), which counts as the 200 did; a form with errors
-- is a 303 to /sign, which does not. The 303 carries no address, so the exact per-email check
-- falls back to counts.
function form_response(status, headers, body, label, email_pattern)
  if status == 303 then
    local location = headers["Location"] or headers["location"] or ""
    if location:sub(-5) == "/sent" then status = 200 end
  end
  count_response(status, body, label)
  if status == 200 and out ~= nil then
    local email = body:match(email_pattern)
    if email ~= nil then
      out:write(email, "\n")
      if ok_count % 256 == 0 then out:flush() end
    end
  end
end
