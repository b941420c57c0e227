import struct, sys
import Ice

def encaps_string(s):
    data = s.encode("utf-8")
    assert len(data) < 255
    body = bytes([len(data)]) + data
    return struct.pack("<iBB", 6 + len(body), 1, 1) + body

def read_encaps_string(b):
    size, major, minor = struct.unpack_from("<iBB", b, 0)
    n = b[6]
    return b[7:7 + n].decode("utf-8")

class Callback(Ice.Blobject):
    def ice_invoke(self, in_params, current):
        s = read_encaps_string(in_params)
        return (True, encaps_string("python got " + s + " via " + current.operation))

with Ice.initialize(sys.argv) as communicator:
    hub = communicator.stringToProxy(sys.argv[1])
    adapter = communicator.createObjectAdapter("")
    adapter.add(Callback(), Ice.stringToIdentity("pycb"))
    adapter.activate()
    hub.ice_getConnection().setAdapter(adapter)
    ok, out = hub.ice_invoke("callMe", Ice.OperationMode.Normal, encaps_string("pycb"))
    assert ok, out
    print(read_encaps_string(out))
