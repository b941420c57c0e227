# A ZeroC Ice 3.7 server for the class interop test: implements the Vec::Echo operations
# that carry classes (the value is decoded by Ice and encoded again for the reply).
# Usage: /usr/bin/python3 class_echo_server.py VECTORS_DIR   (prints the port, then serves)
import os
import sys

import Ice

slice_file = os.path.join(sys.argv[1], "slice", "Vectors.ice")
Ice.loadSlice("-I{} {}".format(Ice.getSliceDir(), slice_file))
import Vec  # noqa: E402


class EchoI(Vec.Echo):
    def echoBase(self, v, current=None):
        return v

    def echoBaseSliced(self, v, current=None):
        return v

    def echoBaseSeq(self, v, current=None):
        return v

    def echoBaseSeqSliced(self, v, current=None):
        return v

    def echoNode(self, v, current=None):
        return v

    def echoNodeSliced(self, v, current=None):
        return v

    def throwDerived(self, reason, code, detail, current=None):
        raise Vec.DerivedError(reason, code, detail)

    def throwDerivedSliced(self, reason, code, detail, current=None):
        raise Vec.DerivedError(reason, code, detail)

    def throwClassCarrier(self, reason, current=None):
        raise Vec.ClassCarrier(reason, Vec.Base(len(reason), reason))

    def throwClassCarrierSliced(self, reason, current=None):
        raise Vec.ClassCarrier(reason, Vec.Base(len(reason), reason))


init = Ice.InitializationData()
init.properties = Ice.createProperties()
init.properties.setProperty("Ice.ClassGraphDepthMax", "1000")
with Ice.initialize(init) as comm:
    adapter = comm.createObjectAdapterWithEndpoints("E", "tcp -h 127.0.0.1 -p 0")
    adapter.add(EchoI(), Ice.stringToIdentity("echo"))
    adapter.activate()
    print(adapter.getEndpoints()[0].getInfo().port, flush=True)
    comm.waitForShutdown()
