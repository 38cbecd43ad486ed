-- wrk script: the vendor's example create body with a unique login per request.
-- Each wrk thread numbers its own logins, so runs with -t > 1 stay unique too; pass a prefix
-- after `--` to keep logins unique across runs against one server:
--   wrk -s benches/create.lua http://127.0.0.1:8080 -- run2
local counter = 0
local tid = 0
local next_tid = 0
local prefix = "u"

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

function init(args)
  tid = wrk.thread:get("tid") or 0
  if args[1] then prefix = args[1] end
end

local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}

function request()
  counter = counter + 1
  local body = '{"login":"' .. prefix .. tid .. '-' .. counter .. '@mail.com","password":"qweasdzxc","type":"type_value",' ..
    '"billing_info":{"billing_id":"123123123","billing_extra":[]},"status":"active",' ..
    '"billing_properties":[{"type":"phone","value":"+80283289362"}]}'
  return wrk.format("POST", "/api/v1/billing/user/manage", headers, body)
end
