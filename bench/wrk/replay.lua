-- Sends pre-built raw HTTP requests from a file, each exactly once, then stops.
--
-- BENCH_REQUESTS: the file; each request is "<byte length>\n<raw request bytes>".
-- BENCH_THREADS:  wrk's -t; thread i sends requests i+1, i+1+t, i+1+2t, ...
-- BENCH_WRAP=1:   cycle through the requests until the duration ends instead of stopping
--                 (for the baseline server, which does not care about repeats).
-- When a thread has sent its share it writes "BENCH-EXHAUSTED" to stderr and stops; the
-- bench then interrupts wrk so the reported duration is the time actually spent.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local thread_counter = 0
local all_threads = {}
function setup(thread)
  thread:set("thread_id", thread_counter)
  thread_counter = thread_counter + 1
  table.insert(all_threads, thread)
end

-- Per thread: how many answers of each status, and the first answer that was not 2xx.
statuses = {}
first_error = ""

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if first_error == "" and (status < 200 or status > 299) then
    first_error = key .. " " .. string.sub(body or "", 1, 200)
  end
end

local report_done = done
function done(summary, latency, requests)
  report_done(summary, latency, requests)
  local counts = {}
  local error_text = ""
  for _, thread in ipairs(all_threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
    if error_text == "" then error_text = thread:get("first_error") or "" end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, status .. "=" .. n) end
  io.write("BENCH-STATUS " .. table.concat(parts, " ") .. "\n")
  if error_text ~= "" then
    io.write("BENCH-FIRST-ERROR " .. string.gsub(error_text, "\n", " ") .. "\n")
  end
end

local requests = {}
local count = 0
local position = 1
local finished = false
local wrap = os.getenv("BENCH_WRAP") == "1"

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local me = thread_id or 0
  local file = assert(io.open(assert(os.getenv("BENCH_REQUESTS")), "rb"))
  local index = 0
  while true do
    local header = file:read("*l")
    if not header then break end
    local raw = file:read(tonumber(header))
    if index % threads == me then
      count = count + 1
      requests[count] = raw
    end
    index = index + 1
  end
  file:close()
  assert(count > 0, "no requests for this thread")
end

function request()
  if position > count then
    if wrap then
      position = 1
    else
      if not finished then
        finished = true
        io.stderr:write("BENCH-EXHAUSTED\n")
        io.stderr:flush()
        wrk.thread:stop()
      end
      return requests[count]
    end
  end
  local raw = requests[position]
  position = position + 1
  return raw
end
