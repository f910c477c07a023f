-- wrk script: each request RSVPs to the event at `path` with a new address.
-- Usage: wrk -s benches/wrk/rsvp.lua http://127.0.0.1:8080/api/v1/public/events/SLUG/rsvps
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local body = string.format('{"email":"wrk%d-%d@example.org","name":"Load Test"}', id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
