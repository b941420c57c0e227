"""The Python side of tests/tests/interop_codegen_roundtrip.rs, from the same Slice file.

  peer.py server            serves `echo` (InteropCodegen::Echo); prints `PORT <n>`
  peer.py client PROXY      calls a Rust server, checks every answer, prints `ALL OK`
"""
import os
import sys

import Ice

HERE = os.path.dirname(os.path.abspath(__file__))
Ice.loadSlice("", [os.path.join(HERE, "..", "interop_codegen.ice")])
import InteropCodegen as M  # noqa: E402


def everything():
    return M.Everything(
        True, 200, -300, 70000, -(2**40), 1.5, -2.25, "héllo wörld",
        M.Color.Blue, M.Point(3, -4),
        [[1, 2, 3], [], [4]],
        {M.Point(1, 2): "a", M.Point(-1, 0): "b"},
        {"g": [[5], [6, 7]], "empty": []},
        ["x", "", "zz"],
        [M.Point(0, 0), M.Point(9, 9)],
        [0.5, 1e300],
        {1: M.Color.Red, 2: M.Color.Green},
    )


def cycle():
    a = M.Node(1, None)
    b = M.Labeled(2, None, "two", 7, a)
    a.next = b
    b.next = a
    return a


def check_cycle(r):
    assert r is not None and r.value == 1, "node 1"
    b = r.next
    assert isinstance(b, M.Labeled), "concrete class kept: %r" % type(b)
    assert b.value == 2 and b.label == "two" and b.weight == 7, "labeled fields"
    assert b.next is r and b.other is r, "cycle and sharing kept"


class EchoI(M.Echo):
    def echoEverything(self, e, current):
        return e

    def echoNode(self, n, current):
        return n

    def echoOptional(self, s, p, current):
        if s is Ice.Unset:
            return (Ice.Unset, Ice.Unset)
        return (len(s) + (p.x if p is not Ice.Unset else 0), s + "!")

    def echoColor(self, c, current):
        nxt = {M.Color.Red: M.Color.Green, M.Color.Green: M.Color.Blue, M.Color.Blue: M.Color.Red}
        return (c, nxt[c])

    def fail(self, kind, current):
        if kind == 0:
            raise M.BaseError("base")
        raise M.DetailError("detail", 42, "more")

    def echoProxy(self, p, current):
        return p

    def sum(self, g, current):
        return sum(sum(r) for r in g)

    def shutdown(self, current):
        current.adapter.getCommunicator().shutdown()


def server(props):
    with Ice.initialize(props) as comm:
        comm.getProperties().setProperty("Echo.Endpoints", "tcp -h 127.0.0.1 -p 0")
        adapter = comm.createObjectAdapter("Echo")
        adapter.add(EchoI(), Ice.stringToIdentity("echo"))
        adapter.activate()
        port = adapter.getEndpoints()[0].getInfo().port
        print("PORT %d" % port, flush=True)
        comm.waitForShutdown()


def client(props, proxy):
    failures = 0

    def check(name, fn):
        nonlocal failures
        try:
            fn()
            print("OK   " + name, flush=True)
        except Exception as e:  # noqa: BLE001
            failures += 1
            print("FAIL %s: %r" % (name, e), flush=True)

    with Ice.initialize(props) as comm:
        echo = M.EchoPrx.checkedCast(comm.stringToProxy(proxy))
        assert echo is not None

        def everything_():
            e = everything()
            r = echo.echoEverything(e)
            assert r == e, "%r != %r" % (r, e)

        def nodes():
            check_cycle(echo.echoNode(cycle()))
            assert echo.echoNode(None) is None

        def optionals():
            assert echo.echoOptional(Ice.Unset, Ice.Unset) == (Ice.Unset, Ice.Unset)
            assert echo.echoOptional("abc", M.Point(10, 0)) == (13, "abc!"), echo.echoOptional("abc", M.Point(10, 0))
            assert echo.echoOptional("abc", Ice.Unset) == (3, "abc!")

        def colors():
            assert echo.echoColor(M.Color.Green) == (M.Color.Green, M.Color.Blue)

        def exceptions():
            try:
                echo.fail(0)
                raise AssertionError("no exception")
            except M.DetailError:
                raise AssertionError("base expected")
            except M.BaseError as e:
                assert e.reason == "base"
            try:
                echo.fail(1)
                raise AssertionError("no exception")
            except M.DetailError as e:
                assert (e.reason, e.code, e.detail) == ("detail", 42, "more"), e

        def proxies():
            assert echo.echoProxy(echo) == echo
            assert echo.echoProxy(None) is None

        def sums():
            assert echo.sum([[1, 2], [3], []]) == 6

        check("everything", everything_)
        check("nodes with a cycle and null", nodes)
        check("optionals", optionals)
        check("enums with values", colors)
        check("exceptions with inheritance", exceptions)
        check("proxies as parameters", proxies)
        check("idempotent", sums)
        echo.shutdown()
    print("ALL OK" if failures == 0 else "%d FAILURES" % failures, flush=True)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    props = Ice.InitializationData()
    props.properties = Ice.createProperties()
    props.properties.setProperty("Ice.AcceptClassCycles", "1")
    args = props.properties.parseCommandLineOptions("", sys.argv[1:])
    if args and args[0] == "server":
        server(props)
    elif len(args) == 2 and args[0] == "client":
        sys.exit(client(props, args[1]))
    else:
        print(__doc__)
        sys.exit(2)
