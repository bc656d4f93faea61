-- wrk script: POST one X-ray as multipart/form-data (field "file") to /predict, and print
-- the results as one JSON line (latencies in microseconds). The file is $BENCH_FILE.
local path = os.getenv("BENCH_FILE")
local f = assert(io.open(path, "rb"))
local data = f:read("*a")
f:close()
local boundary = "----pneumoscanbench7MA4YWxkTrZu0gW"
local name = path:match("([^/]+)$")
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n"
  .. 'Content-Disposition: form-data; name="file"; filename="' .. name .. '"\r\n'
  .. "Content-Type: image/jpeg\r\n\r\n"
  .. data .. "\r\n--" .. boundary .. "--\r\n"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
