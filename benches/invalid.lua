-- wrk script: a create body that fails validation with 4 errors (login, password, type,
-- status required), the 422 path.
wrk.method = "POST"
wrk.path = "/api/v1/billing/user/manage"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"billing_info":[],"billing_properties":[]}'
