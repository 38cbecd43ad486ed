-- wrk script: mixed traffic for the soak test. Cycles through creates of a fixed pool of
-- logins (so they turn into duplicate-login 422s), updates, licence checks, invalid bodies,
-- unknown routes, unknown logins and malformed JSON; one request in 8 uses one of 300
-- sessions (more than the default 256, so sessions are evicted and recreated). No deletes:
-- soft-deleted users are kept until a reset by design (bounded by --max-users).
local n = 0
local sn = 0
local json = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}

local function with_session(h, s)
  local out = {}
  for k, v in pairs(h) do out[k] = v end
  out["X-Mock-Session"] = s
  return out
end

function request()
  n = n + 1
  local login = "soak" .. (n % 1000) .. "@mail.com"
  local h = json
  if n % 8 == 0 then
    sn = sn + 1
    h = with_session(json, "s" .. (sn % 300))
  end
  local k = n % 7
  if k == 0 or k == 1 then
    return wrk.format("POST", "/api/v1/billing/user/manage", h,
      '{"login":"' .. login .. '","password":"qweasdzxc","type":"b2c","status":"active",' ..
      '"billing_properties":[{"type":"phone","value":"+70000000000"}]}')
  elseif k == 2 then
    return wrk.format("PATCH", "/api/v1/billing/user/manage", h,
      '{"login":"' .. login .. '","status":"blocked","permissions_to_attach":["ptz"]}')
  elseif k == 3 then
    return wrk.format("POST", "/api/v1/billing/user/manage/licenses/check", h,
      '{"login":"' .. login .. '","analytic_l1":1}')
  elseif k == 4 then
    return wrk.format("POST", "/api/v1/billing/user/manage", h, '{"billing_info":[]}')
  elseif k == 5 then
    return wrk.format("GET", "/api/v1/nothing", h)
  else
    return wrk.format("POST", "/api/v1/billing/user/manage", h, '{"login": oops')
  end
end
