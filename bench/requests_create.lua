-- wrk script for bench/requests_api.py: POST /api/v1/requests with varied bodies.
--
--   wrk -t2 -c16 -d30s --latency -s bench/requests_create.lua http://127.0.0.1:8123 -- DATAFILE
--
-- DATAFILE (written by requests_api.py): "token <key>" and "service <slug>" lines.
-- Each call picks a random requester (token) and service, a title and context from
-- small vocabularies, a need-by date 5 to 60 days ahead, hard or flexible, sometimes
-- options and a milestone; dates under 20 days carry a sentence owning the short
-- notice (the longest published lead time in the bench directory is 10 business days),
-- so every call is valid and must get a 201.
-- Status codes are counted per thread and printed by done() as "status <code> <n>".

local tokens, services = {}, {}
local threads = {}

local verbs = {"Access to", "A new", "Review of", "Capacity for", "Restore", "An extract of", "Upgrade of",
               "Badge access for", "Firewall rule for", "Translation of"}
local things = {"the staging cluster", "the partner API", "the quarterly data", "the lab network",
                "the launch dashboards", "the vendor contract", "the release notes", "the on-call rota",
                "the build farm", "the customer export"}
local reasons = {"The launch depends on it", "Our auditors asked for it", "The partner integration waits on it",
                 "Three teams are blocked without it", "The regional office cannot work without it",
                 "It unblocks the quarter's migration"}
local misses = {"we slip the launch by a week", "the audit finding stays open", "the partner escalates",
                "people work around it by hand", "we miss the customer milestone"}
local options = {"", "", "any day that week", "a partial delivery first", "the Monday after is fine too"}
local milestones = {"", "", "Q3 launch", "Audit close", "Partner go-live"}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  for line in io.lines(path) do
    local kind, value = line:match("^(%S+)%s+(%S+)$")
    if kind == "token" then table.insert(tokens, value) end
    if kind == "service" then table.insert(services, value) end
  end
  statuses = {}
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

local function pick(list)
  return list[math.random(#list)]
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function request()
  local days = math.random(5, 60)
  local need_by = os.date("!%Y-%m-%d", os.time() + days * 86400)
  local title = pick(verbs) .. " " .. pick(things) .. " (" .. math.random(1, 100000) .. ")"
  local context = pick(reasons) .. "; if it is missed, " .. pick(misses) .. "."
  local fields = {
    '"service": ' .. json_string(pick(services)),
    '"title": ' .. json_string(title),
    '"context": ' .. json_string(context),
    '"need_by": "' .. need_by .. '"',
    '"date_kind": "' .. (math.random() < 0.3 and "hard" or "flexible") .. '"',
    '"options": ' .. json_string(pick(options)),
    '"milestone": ' .. json_string(pick(milestones)),
  }
  if days < 20 then
    table.insert(fields, '"short_notice_owned": "We learnt of it late; a partial delivery would already help."')
  end
  local body = "{" .. table.concat(fields, ", ") .. "}"
  return wrk.format("POST", "/api/v1/requests", {
    ["Authorization"] = "Bearer " .. pick(tokens),
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for code, n in pairs(counts) do
      total[code] = (total[code] or 0) + n
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d %d\n", code, n))
  end
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency_p%s_ms %.2f\n", p, latency:percentile(p) / 1000))
  end
end
