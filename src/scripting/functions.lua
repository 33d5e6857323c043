-- Function libraries (FUNCTION LOAD), loaded after prelude.lua into the
-- functions' interpreter only. A library's code runs with `redis` narrowed to
-- the load API (register_function, log, the constants); at run time the same
-- globals give the full API, so helpers the library defines can call redis.call.
local rt = ...
local lib = rt.lib
rt.lib = nil
local readonly, readonly_error, handler, dbg, redis, ENV =
  lib.readonly, lib.readonly_error, lib.handler, lib.dbg, lib.redis, lib.ENV
local error, type, tostring, select, ipairs, pairs, setmetatable, setfenv, xpcall =
  error, type, tostring, select, ipairs, pairs, setmetatable, setfenv, xpcall

local loading = nil
local FLAG_NAMES = {'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}

local function load_error(msg) error({err = msg}) end

local function as_string(v)
  if type(v) == 'string' or type(v) == 'number' then return tostring(v) end
  return nil
end

local function read_flags(t)
  local flags = {}
  for _, v in pairs(t) do
    if type(v) ~= 'string' and type(v) ~= 'number' then return nil end
    local found = false
    for _, name in ipairs(FLAG_NAMES) do
      if tostring(v):lower() == name then flags[name] = true; found = true end
    end
    if not found then return nil end
  end
  return flags
end

local function register_function(...)
  if not loading then
    load_error('redis.register_function can only be called on FUNCTION LOAD command')
  end
  local n = select('#', ...)
  if n < 1 or n > 2 then load_error('wrong number of arguments to redis.register_function') end
  local name, desc, callback, flags
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      load_error('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in pairs(t) do
      if type(k) ~= 'string' and type(k) ~= 'number' then
        load_error('named argument key given to redis.register_function is not a string')
      end
      local key = tostring(k):lower()
      if key == 'function_name' then
        name = as_string(v)
        if not name then load_error('function_name argument given to redis.register_function must be a string') end
      elseif key == 'description' then
        desc = as_string(v)
        if not desc then load_error('description argument given to redis.register_function must be a string') end
      elseif key == 'callback' then
        if type(v) ~= 'function' then load_error('callback argument given to redis.register_function must be a function') end
        callback = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then load_error('flags argument to redis.register_function must be a table representing function flags') end
        flags = read_flags(v)
        if not flags then load_error('unknown flag given') end
      else
        load_error('unknown argument given to redis.register_function')
      end
    end
    if not name then load_error('redis.register_function must get a function name argument') end
    if not callback then load_error('redis.register_function must get a callback argument') end
  else
    local a, b = ...
    name = as_string(a)
    if not name then load_error('first argument to redis.register_function must be a string') end
    if type(b) ~= 'function' then load_error('second argument to redis.register_function must be a function') end
    callback = b
  end
  if name == '' or name:find('[^%w_]') then
    -- (Redis's text for a bad function name says "Library".)
    load_error('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  for _, f in ipairs(loading) do
    if f.name:lower() == name:lower() then load_error('Function already exists in the library') end
  end
  local list = {}
  for _, flag in ipairs(FLAG_NAMES) do
    if flags and flags[flag] then list[#list + 1] = flag end
  end
  loading[#loading + 1] = {name = name, desc = desc, callback = callback, flags = list}
end

-- While loading, the only global is this `redis`; both are strict, as Redis's.
local LIBRARY_REDIS = readonly({
  register_function = register_function,
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}, true)
local LIBENV = setmetatable({}, {
  __index = function(_, name)
    if loading then
      if name == 'redis' then return LIBRARY_REDIS end
      error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end
    return ENV[name]
  end,
  __newindex = function() readonly_error(2) end,
  __metatable = false,
})

-- Runs a compiled library: (true, {registered...}) or (false, error).
rt.load_library = function(f, hook_every)
  loading = {}
  local registered = loading
  setfenv(f, LIBENV)
  if hook_every > 0 then
    dbg.sethook(function()
      if rt.load_timed_out() then
        dbg.sethook()
        error({err = 'FUNCTION LOAD timeout'})
      end
    end, '', hook_every)
  end
  local ok, err = xpcall(f, handler)
  dbg.sethook()
  loading = nil
  if ok then return true, registered end
  return false, err
end

