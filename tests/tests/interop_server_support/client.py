"""Python (ZeroC Ice 3.7) client for the Rust dispatch tests.

usage: client.py basic <proxy>
       client.py amd <proxy> <operation> <calls> <ms>
Prints what it checks; exits 0 only when every check passed.
"""

import os
import sys
import time

import Ice

Ice.loadSlice(os.path.join(os.path.dirname(os.path.abspath(__file__)), "Disp.ice"))
import Disp  # noqa: E402

failures = []


def check(what, cond, detail=""):
    print(("OK   " if cond else "FAIL ") + what + (" " + str(detail) if detail else ""))
    if not cond:
        failures.append(what)


def expect(what, exc_type, fn, test=lambda e: True):
    try:
        fn()
    except exc_type as e:
        ok = test(e)
        check(what, ok, repr(e) if not ok else "")
        return e
    except Exception as e:  # noqa: BLE001
        check(what, False, "raised %r" % (e,))
        return None
    check(what, False, "no exception")
    return None


def basic(comm, prx):
    r = prx.opOut(20)
    check("opOut out-parameters", r == (21, "got 20", 40), r)
    check("echoString", prx.echoString("héllo") == "héllo")
    big = "compress me " * 100
    check("echoString compressed", prx.ice_compress(True).echoString(big) == big)
    check("getValue idempotent", prx.getValue() == 7)

    e = expect("fail(user) DerivedError", Disp.DerivedError, lambda: prx.fail("user"),
               lambda e: e.reason == "denied" and e.code == 13)
    expect("failSliced(user) DerivedError", Disp.DerivedError, lambda: prx.failSliced("user"),
           lambda e: e.reason == "denied" and e.code == 13)
    expect("fail(base) BaseError", Disp.BaseError, lambda: prx.fail("base"),
           lambda e: type(e) is Disp.BaseError and e.reason == "base reason")
    expect("fail(objectnotexist) status 2", Ice.ObjectNotExistException,
           lambda: prx.fail("objectnotexist"),
           lambda e: e.id.name == "server" and e.operation == "fail")
    expect("fail(facet) status 3", Ice.FacetNotExistException, lambda: prx.fail("facet"))
    expect("fail(operation) status 4", Ice.OperationNotExistException,
           lambda: prx.fail("operation"), lambda e: e.operation == "fail")
    expect("fail(local) status 5", Ice.UnknownLocalException, lambda: prx.fail("local"),
           lambda e: "::Ice::MemoryLimitException" in e.unknown)
    expect("fail(unknownlocal) status 5", Ice.UnknownLocalException,
           lambda: prx.fail("unknownlocal"), lambda e: e.unknown == "explicit unknown local text")
    expect("fail(unknownuser) status 6", Ice.UnknownUserException,
           lambda: prx.fail("unknownuser"), lambda e: e.unknown == "explicit unknown user text")
    expect("fail(unknown) status 7", Ice.UnknownException,
           lambda: prx.fail("unknown"), lambda e: e.unknown == "explicit unknown text")
    expect("fail(panic) status 7", Ice.UnknownException, lambda: prx.fail("panic"),
           lambda e: "panicked" in e.unknown and "kaboom" in e.unknown)
    expect("fail(asyncpanic) status 7", Ice.UnknownException, lambda: prx.fail("asyncpanic"),
           lambda e: "panicked" in e.unknown and "async kaboom" in e.unknown)
    check("still serving after panics", prx.getValue() == 7)

    prx.ice_ping()
    check("ice_isA", prx.ice_isA("::Disp::Server") and not prx.ice_isA("::Disp::Other"))
    check("ice_id", prx.ice_id() == "::Disp::Server")
    check("ice_ids", prx.ice_ids() == ["::Disp::Server", "::Ice::Object"], prx.ice_ids())
    check("checkedCast", Disp.ServerPrx.checkedCast(prx) is not None)

    missing = prx.ice_identity(Ice.stringToIdentity("missing"))
    expect("missing identity status 2", Ice.ObjectNotExistException, missing.ice_ping,
           lambda e: e.id.name == "missing")
    expect("missing facet status 3", Ice.FacetNotExistException,
           prx.ice_facet("nofacet").ice_ping, lambda e: e.facet == "nofacet")
    check("facet servant", prx.ice_facet("other").ice_id() == "::Disp::Server")
    cat = Disp.ServerPrx.uncheckedCast(prx.ice_identity(Ice.stringToIdentity("dflt/anything")))
    check("default servant", cat.echoString("d") == "default:anything")

    ctx = prx.getContext({"a": "1", "b": "two"})
    check("context", ctx == {"a": "1", "b": "two"}, ctx)

    ow = prx.ice_oneway()
    for i in range(3):
        ow.notify("one-%d" % i)
    bo = prx.ice_batchOneway()
    bo.notify("batch-1")
    bo.notify("batch-2")
    bo.ice_flushBatchRequests()
    check("oneway + batch oneway observed", prx.count() == 5)

    futures = [prx.echoStringAsync("c%d" % i) for i in range(1000)]
    results = [f.result() for f in futures]
    check("1000 concurrent calls", results == ["c%d" % i for i in range(1000)])


def amd(prx, op, calls, ms):
    method = getattr(prx, op + "Async")
    prx.ice_ping()
    start = time.monotonic()
    futures = [method(ms) for _ in range(calls)]
    errors = 0
    texts = set()
    for f in futures:
        try:
            r = f.result()
            if r != ms:
                errors += 1
        except Ice.UnknownException as e:
            errors += 1
            texts.add(e.unknown)
    elapsed = time.monotonic() - start
    print("ELAPSED %.3f" % elapsed)
    print("ERRORS %d" % errors)
    for t in texts:
        print("TEXT " + t.replace("\n", " | "))


def main():
    init = Ice.InitializationData()
    init.properties = Ice.createProperties()
    init.properties.setProperty("Ice.MessageSizeMax", "10240")
    with Ice.initialize(init) as comm:
        prx = Disp.ServerPrx.uncheckedCast(comm.stringToProxy(sys.argv[2]))
        if sys.argv[1] == "basic":
            basic(comm, prx)
        else:
            amd(prx, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    if failures:
        print("FAILED: " + ", ".join(failures))
        sys.exit(1)
    print("ALL OK")


if __name__ == "__main__":
    main()
