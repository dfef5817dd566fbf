-- wrk script for bench/bench_serve.py: each request is a GET of a random line of the file given after `--`
-- (paths with their query strings), so that a run rotates over many questions instead of one cached URL.
-- Usage: wrk -t2 -c16 -d10s --latency -H 'Accept: text/turtle' -s bench/paths.lua http://127.0.0.1:PORT -- FILE
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  math.randomseed(os.time() + #paths + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
