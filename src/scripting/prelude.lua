-- rudis's script runtime, run once when a Lua VM is created, before any user
-- script. It receives the hidden table `rt` (the Rust side has set rt.call,
-- rt.call_packed, rt.acl_check and rt.busy, which serve the run in progress),
-- the debug library (kept here, removed from the scripts' globals), and the
-- `redis` table to fill. It returns `run(f, ...)`, which calls a compiled user
-- script and returns (true, result) or (false, error table), as Redis's
-- luaCallFunction, and the RESP version the script ended with.
local rt, dbg, redis = ...
local G = _G
local error, type, tostring, select, tonumber, xpcall, table, rawget, rawset =
  error, type, tostring, select, tonumber, xpcall, table, rawget, rawset
local setmetatable, setfenv, loadstring, ipairs = setmetatable, setfenv, loadstring, ipairs
local unpack = unpack
local KILLED = 'ERR Script killed by user with SCRIPT KILL...'

-- Redis's error tables: {err = 'CODE message'}; a leading '-' names the code.
local function error_table(s)
  local code, msg = 'ERR', s
  if s:sub(1, 1) == '-' then
    local space = s:find(' ', 1, true)
    if space then
      code, msg = s:sub(2, space - 1), s:sub(space + 1)
    else
      msg = s:sub(2)
    end
  end
  msg = msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = code .. ' ' .. msg}
end

-- The innermost frame of user code at or above `level`: where an error is reported.
local function user_frame(level)
  while true do
    local info = dbg.getinfo(level, 'Sl')
    if not info then return nil end
    if info.source == '@user_script' or info.source == '@user_function' then return info end
    level = level + 1
  end
end

local function handler(err)
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  local info = user_frame(2)
  if info then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end

-- Once killed, every line of user code raises again, so that a pcall in the
-- script cannot swallow the kill.
local function killed_hook()
  local info = dbg.getinfo(2, 'S')
  if info and (info.source == '@user_script' or info.source == '@user_function') then
    error({err = KILLED})
  end
end

-- Every 100000 instructions: lets the server serve other clients once the
-- script is slow, and stops the script after SCRIPT KILL.
local function count_hook()
  if rt.busy() then
    dbg.sethook(killed_hook, 'l')
    error({err = KILLED})
  end
end

-- Past this many arguments they travel in a table: the C stack of a call is
-- limited (LUAI_MAXCSTACK) and `redis.call('sadd', k, unpack(many))` is common.
local PACK_ABOVE = 200

local function invoke(...)
  local n = select('#', ...)
  if n > PACK_ABOVE then
    return rt.call_packed(rt.resp, {n = n, ...})
  end
  return rt.call(rt.resp, ...)
end

-- A C function (rt.raising) rather than a Lua one: a script's tail call
-- `return redis.call(...)` then keeps the script's frame, so errors name its line.
redis.call = rt.raising(function(...)
  local reply, failed = invoke(...)
  return not failed, reply
end)

redis.acl_check_cmd = rt.raising(function(...)
  return rt.acl_check(...)
end)

redis.pcall = function(...)
  return (invoke(...))
end

redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  if s:sub(1, 1) ~= '-' then s = '-' .. s end
  return error_table(s)
end

redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  return {ok = s}
end

redis.setresp = function(...)
  if select('#', ...) ~= 1 then
    error(error_table('redis.setresp() requires one argument.'))
  end
  local resp = tonumber((...))
  if resp ~= 2 and resp ~= 3 then
    error(error_table('RESP version must be 2 or 3.'))
  end
  rt.resp = resp
end

redis.set_repl = function(...)
  if select('#', ...) ~= 1 then
    error(error_table('redis.set_repl() requires two arguments.'))
  end
  local flags = tonumber((...))
  if flags == nil or flags < 0 or flags > 3 or flags % 1 ~= 0 then
    error(error_table('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.'))
  end
end

redis.sha1hex = function(...)
  if select('#', ...) ~= 1 then
    error(error_table('wrong number of arguments'))
  end
  return rt.sha1hex(tostring((...)))
end

redis.log = function(...)
  local n = select('#', ...)
  if n < 2 then
    error(error_table('redis.log() requires two arguments or more.'))
  end
  local level = ...
  if type(level) ~= 'number' then
    error(error_table('First argument must be a number (log level).'))
  end
  if level < 0 or level > 3 then
    error(error_table('Invalid debug level.'))
  end
  local parts = {}
  for i = 2, n do
    local part = select(i, ...)
    if type(part) == 'string' or type(part) == 'number' then
      parts[#parts + 1] = tostring(part)
    end
  end
  rt.log(level, table.concat(parts, ' '))
end

redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3

-- Read-only tables, as Redis 7 makes its globals and libraries: a proxy whose
-- reads go to `t` and whose writes fail, with a read-only metatable, and which
-- rawset and setmetatable refuse too. With `strict`, reading a missing name fails.
local protected = setmetatable({}, {__mode = 'k'})

local function readonly_error(level)
  error('Attempt to modify a readonly table', level)
end

local function readonly(t, strict)
  local index = t
  if strict then
    index = function(_, name)
      local value = rawget(t, name)
      if value == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
      end
      return value
    end
  end
  local shown = setmetatable({}, {
    __newindex = function() readonly_error(2) end,
    __metatable = false,
  })
  local proxy = setmetatable({}, {
    __index = index,
    __newindex = function() readonly_error(2) end,
    __metatable = shown,
  })
  protected[proxy] = true
  protected[shown] = true
  return proxy
end

local ENV

rawset(G, 'rawset', function(t, k, v)
  if protected[t] then readonly_error(2) end
  return rawset(t, k, v)
end)
rawset(G, 'setmetatable', function(t, meta)
  if protected[t] then readonly_error(2) end
  return setmetatable(t, meta)
end)
rawset(G, 'setfenv', function(f, env)
  -- Level 0 is the thread's global table, which every script shares.
  if f == 0 then readonly_error(2) end
  return setfenv(f, env)
end)
-- Code loaded by a script runs with the scripts' globals; bytecode is refused
-- (it can crash the VM).
rawset(G, 'loadstring', function(code, name)
  if type(code) == 'string' and code:byte(1) == 27 then
    return nil, 'loading binary chunks is not allowed'
  end
  local f, err = loadstring(code, name)
  if f then setfenv(f, ENV) end
  return f, err
end)
rawset(G, 'load', function(reader, name)
  local parts = {}
  while true do
    local part = reader()
    if part == nil or part == '' then break end
    parts[#parts + 1] = part
  end
  return G.loadstring(table.concat(parts), name)
end)
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'cjson', 'bit', 'cmsgpack'}) do
  if rawget(G, name) then rawset(G, name, readonly(rawget(G, name))) end
end
rawset(G, 'redis', readonly(redis))
ENV = readonly(G, true)
rawset(G, '_G', ENV)

-- What functions.lua (loaded only into the functions' interpreter) needs.
rt.lib = {readonly = readonly, readonly_error = readonly_error, handler = handler,
  dbg = dbg, redis = redis, ENV = ENV}

-- Runs a script (KEYS and ARGV globals) or, with `is_function`, a function's
-- callback (KEYS and ARGV as arguments). The arguments come as `nkeys` keys then
-- the values, or, with `nkeys` -1, as the two tables already built.
return function(f, hook_every, is_function, nkeys, ...)
  rt.resp = 2
  local keys, argv
  if nkeys < 0 then
    keys, argv = ...
  else
    keys, argv = {...}, {select(nkeys + 1, ...)}
    for i = select('#', ...), nkeys + 1, -1 do keys[i] = nil end
  end
  local ok, result
  if is_function then
    if hook_every > 0 then dbg.sethook(count_hook, '', hook_every) end
    ok, result = xpcall(function() return f(keys, argv) end, handler)
  else
    rawset(G, 'KEYS', keys)
    rawset(G, 'ARGV', argv)
    setfenv(f, ENV)
    if hook_every > 0 then dbg.sethook(count_hook, '', hook_every) end
    ok, result = xpcall(f, handler)
  end
  dbg.sethook()
  return ok, result, rt.resp
end
