"""A ZeroC Ice 3.7 server for the interoperability tests.

Usage: server.py [--Ice.Prop=value ...]
Prints `PORT <n>` once its adapter listens on 127.0.0.1 (OS-assigned port), then serves
`service` (Interop::Service) until `shutdown` is called or it is killed.
"""
import os
import sys
import threading
import time

import Ice

Ice.loadSlice("", ["-I" + Ice.getSliceDir(), os.path.join(os.path.dirname(os.path.abspath(__file__)), "Interop.ice")])
import Interop  # noqa: E402


class ServiceI(Interop.Service):
    def __init__(self):
        self.lock = threading.Lock()
        self.notes = []
        self.dropped = False

    def opOut(self, a, current):
        return (a + 1, "got %d" % a, 2 * a)

    def echoString(self, s, current):
        return s

    def echoBytes(self, b, current):
        return b

    def getValue(self, current):
        return 7

    def fail(self, kind, current):
        if kind == "user":
            raise Interop.DerivedError("denied", 13)
        if kind == "base":
            raise Interop.BaseError("base only")
        if kind == "objectnotexist":
            raise Ice.ObjectNotExistException()
        if kind == "facetnotexist":
            raise Ice.FacetNotExistException()
        if kind == "operationnotexist":
            raise Ice.OperationNotExistException()
        if kind == "local":
            raise Ice.MemoryLimitException()
        if kind == "unknownlocal":
            raise Ice.UnknownLocalException("explicit unknown local text")
        if kind == "unknownuser":
            raise Ice.UnknownUserException("explicit unknown user text")
        if kind == "unknown":
            raise Ice.UnknownException("explicit unknown text")
        raise ValueError("boom")

    def notify(self, s, current):
        with self.lock:
            self.notes.append(s)
        print("NOTIFY %s" % s, flush=True)

    def count(self, current):
        with self.lock:
            return len(self.notes)

    def getContext(self, current):
        return current.ctx

    def sleep(self, ms, current):
        time.sleep(ms / 1000.0)

    def dropConnectionOnce(self, current):
        with self.lock:
            first = not self.dropped
            self.dropped = True
        if first:
            current.con.close(Ice.ConnectionClose.Forcefully)

    def shutdown(self, current):
        current.adapter.getCommunicator().shutdown()


class LocatorI(Ice.Locator):
    """A minimal locator: the adapter `Interop` and the well-known object `service`."""

    def __init__(self, adapter, other):
        self.adapter = adapter
        self.other = other
        self.moves = 0

    def findObjectById(self, id, current):
        print("LOCATE object %s" % id.name, flush=True)
        if id.name == "service":
            return self.adapter.createDirectProxy(id)
        if id.name == "moving":
            # First a stale answer (an adapter without that object), then the right one.
            self.moves += 1
            return (self.adapter if self.moves == 1 else self.other).createDirectProxy(id)
        if id.name == "indirect":
            return self.adapter.getCommunicator().stringToProxy("service @ Interop")
        raise Ice.ObjectNotFoundException()

    def findAdapterById(self, id, current):
        print("LOCATE adapter %s" % id, flush=True)
        if id == "Interop":
            return self.adapter.createDirectProxy(Ice.stringToIdentity("dummy"))
        raise Ice.AdapterNotFoundException()

    def getRegistry(self, current):
        return None


def main():
    props = Ice.createProperties(sys.argv)
    props.setProperty("Ice.ThreadPool.Server.SizeMax", "64")
    init = Ice.InitializationData()
    init.properties = props
    with Ice.initialize(init) as communicator:
        adapter = communicator.createObjectAdapterWithEndpoints("Interop", "tcp -h 127.0.0.1 -p 0")
        adapter.add(ServiceI(), Ice.stringToIdentity("service"))
        other = communicator.createObjectAdapterWithEndpoints("Other", "tcp -h 127.0.0.1 -p 0")
        other.add(ServiceI(), Ice.stringToIdentity("moving"))
        other.activate()
        adapter.add(LocatorI(adapter, other), Ice.stringToIdentity("Locator"))
        adapter.activate()
        port = adapter.getEndpoints()[0].getInfo().port
        print("PORT %d" % port, flush=True)
        communicator.waitForShutdown()


if __name__ == "__main__":
    main()
