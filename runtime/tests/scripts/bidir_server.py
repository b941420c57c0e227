# A Python Ice server that calls its clients back over their own connections:
# `callMe(name)` invokes `hello("from python")` on the client's object `name` through
# `current.con.createProxy` and answers what the client answered. Prints "ready <proxy>".
import struct, sys
import Ice

def encaps_string(s):
    data = s.encode("utf-8")
    assert len(data) < 255
    body = bytes([len(data)]) + data
    return struct.pack("<iBB", 6 + len(body), 1, 1) + body

def read_encaps_string(b):
    return b[7:7 + b[6]].decode("utf-8")

class Hub(Ice.Blobject):
    def ice_invoke(self, in_params, current):
        if current.operation != "callMe":
            raise Ice.OperationNotExistException()
        name = read_encaps_string(in_params)
        cb = current.con.createProxy(Ice.stringToIdentity(name))
        ok, out = cb.ice_invoke("hello", Ice.OperationMode.Normal, encaps_string("from python"))
        return (True, encaps_string(read_encaps_string(out) if ok else "callback failed"))

# Two threads: the dispatch waits for the callback's reply, which another thread reads.
args = sys.argv + ["--Ice.ThreadPool.Server.Size=2"]
with Ice.initialize(args) as communicator:
    adapter = communicator.createObjectAdapterWithEndpoints("Hub", "tcp -h 127.0.0.1 -p 0")
    prx = adapter.add(Hub(), Ice.stringToIdentity("hub"))
    adapter.activate()
    print("ready " + communicator.proxyToString(prx), flush=True)
    sys.stdin.read()
