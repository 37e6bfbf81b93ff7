-- One event per request, spread over 100 sessions made beforehand (s0..s99).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local body = '{"author":"assistant","role":"assistant","content":"' .. string.rep("The quick brown fox jumps over the lazy dog. ", 6) .. '","stateDelta":{"turn":1}}'
request = function()
  local path = "/v1/apps/bench/users/u/sessions/s" .. math.random(0, 99) .. "/events"
  return wrk.format(nil, path, nil, body)
end
